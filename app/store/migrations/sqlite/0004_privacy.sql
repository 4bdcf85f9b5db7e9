-- Privacy operations: block history, import runs, the request register's
-- indexes and an append-only audit log.

-- Every block and unblock of a subscriber with the operator's reason. A
-- reason describes a dispute about a person: erasure blanks it.
CREATE TABLE block_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id BIGINT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('blocked', 'unblocked')),
    reason        TEXT NOT NULL DEFAULT '',
    request_id    BIGINT,
    actor         TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX block_events_subscriber_idx ON block_events (subscriber_id, id);

-- One row per committed run of `newsletter import`: counts only.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    actor       TEXT NOT NULL DEFAULT '',
    file_sha256 TEXT NOT NULL DEFAULT '',
    rows_read   BIGINT NOT NULL DEFAULT 0,
    imported    BIGINT NOT NULL DEFAULT 0,
    existing    BIGINT NOT NULL DEFAULT 0,
    suppressed  BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0,
    started_at  DATETIME NOT NULL,
    finished_at DATETIME
);

-- The request register: open requests by deadline (the sweep and the
-- overdue filter), listings by kind.
CREATE INDEX requests_open_due_idx ON requests (due_at) WHERE status NOT IN ('completed', 'rejected');
CREATE INDEX requests_kind_idx ON requests (kind, id);

CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, id);
CREATE INDEX audit_log_time_idx ON audit_log (created_at);

-- The audit log is append-only: no entry is ever changed or removed.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
