-- Outbox rows not finished yet, oldest first, for the age the metrics
-- report: finished rows stay a week, so a scan of the table would grow
-- with the traffic; this index holds only the rows still under way.
CREATE INDEX outbox_open_idx ON outbox (id) WHERE done_at IS NULL;
