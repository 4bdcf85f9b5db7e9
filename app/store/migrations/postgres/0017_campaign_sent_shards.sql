-- Messages sent, counted apart from the campaign's row: the commits that
-- record results each add to one shard of their campaign (chosen at
-- random), so several of them can be under way at once instead of waiting
-- for each other on the campaign's row. A campaign's sent count is its
-- row's plus the sum of its shards; progress_at is the latest commit's time.
CREATE TABLE campaign_sent_shards (
    campaign_id BIGINT NOT NULL,
    shard       INTEGER NOT NULL,
    sent        BIGINT NOT NULL DEFAULT 0,
    progress_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, shard)
);
