-- The page a consent was given on is kept without its query and fragment:
-- forms put the very data they collect there (?email=...&phone=...).
UPDATE consent_events SET page = regexp_replace(page, '[?#].*$', '') WHERE page ~ '[?#]';
UPDATE confirmations SET page = regexp_replace(page, '[?#].*$', '') WHERE page ~ '[?#]';

-- How far the sweep has scrubbed what erasures leave behind (dead tuples:
-- VACUUM of the tables an erasure touches), by destruction record id. It
-- starts at 0, so the first sweep after this migration scrubs once.
CREATE TABLE erasure_scrub (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    last_destruction_id BIGINT NOT NULL,
    scrubbed_at         TIMESTAMPTZ
);
INSERT INTO erasure_scrub (id, last_destruction_id) VALUES (1, 0);
