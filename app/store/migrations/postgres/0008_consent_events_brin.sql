-- Consent events are an append-mostly log, and the only query by time (the
-- dashboard's consent activity of the last days) reads a range of recent
-- rows. A BRIN index answers it from a few kilobytes of page summaries and
-- costs an insert next to nothing; the b-tree on (created_at, action,
-- purpose) it replaces was paid for by every consent written, and by a bulk
-- import most of all. Page ranges are summarized by autovacuum as they fill
-- (autosummarize); until then the newest pages are read whole, which is what
-- the query wants anyway.
DROP INDEX IF EXISTS consent_events_time_idx;
CREATE INDEX consent_events_time_brin ON consent_events USING brin (created_at) WITH (autosummarize = on);
