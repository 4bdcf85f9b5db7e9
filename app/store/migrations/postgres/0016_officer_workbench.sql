-- nl_fold: the text a search compares, in lower case in every language
-- (ё written as е), whatever the database's collation: over ICU's root
-- collation when the server has ICU, else the database's own lower().
DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
        CREATE OR REPLACE FUNCTION nl_fold(t text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $f$ SELECT translate(lower(t COLLATE "und-x-icu"), 'ё', 'е') $f$;
    ELSE
        CREATE OR REPLACE FUNCTION nl_fold(t text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $f$ SELECT translate(lower(t), 'ё', 'е') $f$;
    END IF;
END
$do$;

-- The notes of a request: a thread, append-only, each with its author
-- (the staff member's address then, or "system") and time. The notes
-- written so far in requests.note start it.
CREATE TABLE request_notes (
    id         BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    author     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX request_notes_request_idx ON request_notes (request_id, id);
INSERT INTO request_notes (request_id, author, kind, body, created_at)
    SELECT id, 'system', 'note', note, COALESCE(completed_at, received_at) FROM requests WHERE note <> '';
