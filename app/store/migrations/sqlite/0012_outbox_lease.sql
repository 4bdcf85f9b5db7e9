-- Rows handed to the queue but not finished: the relay offers them to the
-- queue again when their lease runs out (the queue may have lost them), so
-- it looks them up by the time they were relayed.
CREATE INDEX outbox_unfinished_idx ON outbox (relayed_at) WHERE done_at IS NULL AND relayed_at IS NOT NULL;
