-- The public archive and aggregate click counts. archive publishes a
-- finished campaign at /archive; track_clicks rewrites the links of its
-- body to counted /l/ links. campaign_links holds those links by their
-- index in the campaign (the signed /l/ id names campaign and index) and
-- one click count each: no subscriber, no address, no time of a click.
ALTER TABLE campaigns ADD COLUMN archive BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN track_clicks BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX campaigns_archive_idx ON campaigns (finished_at DESC, id DESC) WHERE archive;

CREATE TABLE campaign_links (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    url         TEXT NOT NULL,
    clicks      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, idx)
);
