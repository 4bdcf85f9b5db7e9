-- Two-factor sign-in to the console. The TOTP secret is kept sealed
-- (AES-GCM under a key derived from NEWSLETTER_SECRET), never in plain
-- text; last_step is the last time step whose code was taken, so a code
-- works once. A secret without confirmed_at is an enrolment not yet
-- confirmed with a code.
CREATE TABLE admin_twofactor (
    admin_id      INTEGER PRIMARY KEY REFERENCES admins (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    confirmed_at  DATETIME,
    last_step     INTEGER NOT NULL DEFAULT 0,
    created_at    DATETIME NOT NULL
);

-- Recovery codes, kept as keyed hashes; each works once.
CREATE TABLE admin_recovery_codes (
    admin_id  INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   DATETIME,
    PRIMARY KEY (admin_id, code_hash)
);

-- A sign-in whose password was right and whose second factor (or
-- enrolment, when the owners require one) is still to come. The browser
-- holds a random id; the table only its hash.
CREATE TABLE admin_pending_logins (
    id_hash         TEXT PRIMARY KEY,
    admin_id        INTEGER NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    stage           TEXT NOT NULL,
    user_agent_hash TEXT NOT NULL,
    device          TEXT NOT NULL DEFAULT '',
    failures        INTEGER NOT NULL DEFAULT 0,
    expires_at      DATETIME NOT NULL
);
CREATE INDEX admin_pending_logins_expiry_idx ON admin_pending_logins (expires_at);

-- Settings of the console that owners change (two-factor required).
CREATE TABLE console_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at DATETIME NOT NULL
);
