-- Admin console: server-side sessions (the browser holds a random id, the
-- table only its hash) and the time of each admin's last sign-in.
CREATE TABLE admin_sessions (
    id_hash         TEXT PRIMARY KEY,
    admin_id        BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    csrf_token      TEXT NOT NULL,
    locale          TEXT NOT NULL DEFAULT '',
    user_agent_hash TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX admin_sessions_admin_idx ON admin_sessions (admin_id);
CREATE INDEX admin_sessions_expiry_idx ON admin_sessions (expires_at);

ALTER TABLE admins ADD COLUMN last_login_at TIMESTAMPTZ;
