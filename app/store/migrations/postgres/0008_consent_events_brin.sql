-- Consent events are an append-mostly log, and the only query by time (the
-- dashboard's consent activity of the last days) reads a range of recent
-- rows. A BRIN index answers it from a few kilobytes of page summaries and
-- costs an insert next to nothing; the b-tree on (created_at, action,
-- purpose) it replaces was paid for by every consent written, and by a bulk
-- import most of all. New page ranges are summarized by (auto)vacuum, which
-- PostgreSQL runs after many inserts; until then they are read whole, and
-- they are the newest pages, which the query wants anyway. (autosummarize
-- is left off: a bulk import fills ranges faster than autovacuum takes
-- requests, and every refused request is a line in the server log.)
DROP INDEX IF EXISTS consent_events_time_idx;
CREATE INDEX consent_events_time_brin ON consent_events USING brin (created_at);
