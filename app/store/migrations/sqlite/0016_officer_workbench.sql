-- Search folds case with nl_fold, a function the store registers in Go.

-- The notes of a request: a thread, append-only, each with its author
-- (the staff member's address then, or "system") and time. The notes
-- written so far in requests.note start it.
CREATE TABLE request_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id BIGINT NOT NULL REFERENCES requests (id),
    author     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX request_notes_request_idx ON request_notes (request_id, id);
INSERT INTO request_notes (request_id, author, kind, body, created_at)
    SELECT id, 'system', 'note', note, COALESCE(completed_at, received_at) FROM requests WHERE note <> '';
