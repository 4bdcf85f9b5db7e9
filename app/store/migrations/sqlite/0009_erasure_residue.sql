-- The page a consent was given on is kept without its query and fragment:
-- forms put the very data they collect there (?email=...&phone=...).
UPDATE consent_events SET page = substr(page, 1, instr(page, '?') - 1) WHERE instr(page, '?') > 0;
UPDATE consent_events SET page = substr(page, 1, instr(page, '#') - 1) WHERE instr(page, '#') > 0;
UPDATE confirmations SET page = substr(page, 1, instr(page, '?') - 1) WHERE instr(page, '?') > 0;
UPDATE confirmations SET page = substr(page, 1, instr(page, '#') - 1) WHERE instr(page, '#') > 0;

-- How far the sweep has scrubbed what erasures leave behind (the WAL, by a
-- checkpoint), by destruction record id. It starts at 0, so the first sweep
-- after this migration scrubs once.
CREATE TABLE erasure_scrub (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    last_destruction_id INTEGER NOT NULL,
    scrubbed_at         TIMESTAMP
);
INSERT INTO erasure_scrub (id, last_destruction_id) VALUES (1, 0);
