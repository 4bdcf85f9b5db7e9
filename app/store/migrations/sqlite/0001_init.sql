-- Core schema: admins, tokens, subscribers, consents, requests, outbox.
CREATE TABLE admins (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email           TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'marketer', 'privacy_officer')),
    password_hash   TEXT NOT NULL,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    DATETIME,
    created_at      DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    admin_id     BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_used_at DATETIME
);

CREATE TABLE policy_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    version      TEXT NOT NULL UNIQUE,
    body_en      TEXT NOT NULL,
    body_ru      TEXT NOT NULL,
    published_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE subscribers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    email        TEXT UNIQUE,
    email_hash   TEXT,
    name         TEXT,
    phone        TEXT,
    locale       TEXT NOT NULL DEFAULT 'en',
    status       TEXT NOT NULL CHECK (status IN ('pending', 'active', 'blocked', 'erased')),
    block_reason TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    confirmed_at DATETIME,
    erased_at    DATETIME
);
CREATE INDEX subscribers_email_hash_idx ON subscribers (email_hash);
CREATE INDEX subscribers_status_idx ON subscribers (status, id);
CREATE INDEX subscribers_name_idx ON subscribers (name COLLATE NOCASE);

-- Current state of each consent; the history is in consent_events.
CREATE TABLE consents (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('processing', 'marketing', 'cross_border')),
    granted       BOOLEAN NOT NULL,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (subscriber_id, purpose)
);
CREATE INDEX consents_purpose_idx ON consents (purpose, granted, subscriber_id);

-- Append-only: rows are never updated except to destroy personal data on erasure.
CREATE TABLE consent_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id  BIGINT NOT NULL REFERENCES subscribers (id),
    purpose        TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('granted', 'confirmed', 'withdrawn')),
    channel        TEXT NOT NULL,
    ip             TEXT,
    user_agent     TEXT,
    form_id        TEXT NOT NULL DEFAULT '',
    page           TEXT NOT NULL DEFAULT '',
    policy_version TEXT NOT NULL DEFAULT '',
    consent_text   TEXT NOT NULL DEFAULT '',
    request_id     BIGINT,
    created_at     DATETIME NOT NULL
);
CREATE INDEX consent_events_subscriber_idx ON consent_events (subscriber_id, id);
CREATE INDEX consent_events_time_idx ON consent_events (created_at, action, purpose);

-- A pending change that takes effect when the person follows the link mailed to them.
CREATE TABLE confirmations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id  BIGINT NOT NULL REFERENCES subscribers (id),
    kind           TEXT NOT NULL,
    email          TEXT,
    name           TEXT,
    phone          TEXT,
    locale         TEXT NOT NULL DEFAULT 'en',
    purposes       TEXT NOT NULL DEFAULT '',
    ip             TEXT,
    user_agent     TEXT,
    form_id        TEXT NOT NULL DEFAULT '',
    page           TEXT NOT NULL DEFAULT '',
    policy_version TEXT NOT NULL DEFAULT '',
    consent_texts  TEXT NOT NULL DEFAULT '',
    request_id     BIGINT,
    created_at     DATETIME NOT NULL,
    expires_at     DATETIME NOT NULL,
    used_at        DATETIME
);
CREATE INDEX confirmations_subscriber_idx ON confirmations (subscriber_id);

CREATE TABLE requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id   BIGINT REFERENCES subscribers (id),
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    received_at     DATETIME NOT NULL,
    due_at          DATETIME,
    completed_at    DATETIME,
    verification    TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    extended_reason TEXT NOT NULL DEFAULT '',
    flagged_at      DATETIME,
    inbound_id      BIGINT,
    campaign_id     BIGINT
);
CREATE INDEX requests_status_idx ON requests (status, due_at);
CREATE INDEX requests_subscriber_idx ON requests (subscriber_id);

CREATE TABLE suppressions (
    email_hash TEXT PRIMARY KEY,
    reason     TEXT NOT NULL CHECK (reason IN ('erased', 'hard_bounce', 'complaint', 'manual')),
    note       TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE destructions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id BIGINT,
    full_name     TEXT NOT NULL,
    categories    TEXT NOT NULL,
    system        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    destroyed_at  DATETIME NOT NULL
);
CREATE INDEX destructions_time_idx ON destructions (destroyed_at);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL DEFAULT '',
    subject_id   BIGINT NOT NULL DEFAULT 0,
    details      TEXT NOT NULL DEFAULT '',
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Transactional outbox: side effects written with the change, relayed to the queue once.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    relayed_at  DATETIME,
    done_at     DATETIME
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL;

-- One row per transactional message actually handed to the mail server.
CREATE TABLE sent_mail (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    error      TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at    DATETIME
);
