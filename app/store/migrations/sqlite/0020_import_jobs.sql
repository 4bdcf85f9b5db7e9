-- Imports started from the console: they run in the background, and any
-- node shows their progress and, at the end, their report (counts and the
-- rejected lines by number and reason, never the content of a line).
CREATE TABLE import_jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor       TEXT NOT NULL,
    dry_run     BOOLEAN NOT NULL DEFAULT 0,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    size_bytes  BIGINT NOT NULL DEFAULT 0,
    read_bytes  BIGINT NOT NULL DEFAULT 0,
    rows_read   BIGINT NOT NULL DEFAULT 0,
    newsletters TEXT NOT NULL DEFAULT '',
    report      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
);
