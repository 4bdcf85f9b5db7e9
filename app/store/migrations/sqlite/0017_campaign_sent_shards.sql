-- Messages sent, counted apart from the campaign's row (see the PostgreSQL
-- migration; SQLite has one writer at a time and records on the row).
CREATE TABLE campaign_sent_shards (
    campaign_id BIGINT NOT NULL,
    shard       INTEGER NOT NULL,
    sent        BIGINT NOT NULL DEFAULT 0,
    progress_at DATETIME NOT NULL,
    PRIMARY KEY (campaign_id, shard)
);
