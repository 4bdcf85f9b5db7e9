-- Sign-in throttling per account and source, instead of one lock per
-- account that anyone knowing an admin's address could keep closed. Both
-- keys are keyed hashes (of the address tried, whether or not it has an
-- account, and of the client's address or device cookie); source '*' is
-- the row of all sources together.
CREATE TABLE admin_login_throttle (
    account_key     TEXT NOT NULL,
    source_key      TEXT NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    blocked_until   TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_key, source_key)
);
CREATE INDEX admin_login_throttle_updated_idx ON admin_login_throttle (updated_at);

ALTER TABLE admins DROP COLUMN failed_logins;
ALTER TABLE admins DROP COLUMN locked_until;
