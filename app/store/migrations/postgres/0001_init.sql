-- Core schema: admins, tokens, subscribers, consents, requests, outbox.
CREATE TABLE admins (
    id              BIGSERIAL PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'marketer', 'privacy_officer')),
    password_hash   TEXT NOT NULL,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    admin_id     BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ
);

CREATE TABLE policy_versions (
    id           BIGSERIAL PRIMARY KEY,
    version      TEXT NOT NULL UNIQUE,
    body_en      TEXT NOT NULL,
    body_ru      TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE subscribers (
    id           BIGSERIAL PRIMARY KEY,
    email        TEXT UNIQUE,
    email_hash   TEXT,
    name         TEXT,
    phone        TEXT,
    locale       TEXT NOT NULL DEFAULT 'en',
    status       TEXT NOT NULL CHECK (status IN ('pending', 'active', 'blocked', 'erased')),
    block_reason TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at TIMESTAMPTZ,
    erased_at    TIMESTAMPTZ
);
CREATE INDEX subscribers_email_hash_idx ON subscribers (email_hash);
CREATE INDEX subscribers_status_idx ON subscribers (status, id);
CREATE INDEX subscribers_name_idx ON subscribers (lower(name));

-- Current state of each consent; the history is in consent_events.
CREATE TABLE consents (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),
    purpose       TEXT NOT NULL CHECK (purpose IN ('processing', 'marketing', 'cross_border')),
    granted       BOOLEAN NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (subscriber_id, purpose)
);
CREATE INDEX consents_purpose_idx ON consents (purpose, granted, subscriber_id);

-- Append-only: rows are never updated except to destroy personal data on erasure.
CREATE TABLE consent_events (
    id             BIGSERIAL PRIMARY KEY,
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
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX consent_events_subscriber_idx ON consent_events (subscriber_id, id);
CREATE INDEX consent_events_time_idx ON consent_events (created_at, action, purpose);

-- A pending change that takes effect when the person follows the link mailed to them.
CREATE TABLE confirmations (
    id             BIGSERIAL PRIMARY KEY,
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
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ
);
CREATE INDEX confirmations_subscriber_idx ON confirmations (subscriber_id);

CREATE TABLE requests (
    id              BIGSERIAL PRIMARY KEY,
    subscriber_id   BIGINT REFERENCES subscribers (id),
    kind            TEXT NOT NULL,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    due_at          TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    verification    TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    extended_reason TEXT NOT NULL DEFAULT '',
    flagged_at      TIMESTAMPTZ,
    inbound_id      BIGINT,
    campaign_id     BIGINT
);
CREATE INDEX requests_status_idx ON requests (status, due_at);
CREATE INDEX requests_subscriber_idx ON requests (subscriber_id);

CREATE TABLE suppressions (
    email_hash TEXT PRIMARY KEY,
    reason     TEXT NOT NULL CHECK (reason IN ('erased', 'hard_bounce', 'complaint', 'manual')),
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE destructions (
    id            BIGSERIAL PRIMARY KEY,
    subscriber_id BIGINT,
    full_name     TEXT NOT NULL,
    categories    TEXT NOT NULL,
    system        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    destroyed_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX destructions_time_idx ON destructions (destroyed_at);

CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL DEFAULT '',
    subject_id   BIGINT NOT NULL DEFAULT 0,
    details      TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Transactional outbox: side effects written with the change, relayed to the queue once.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    relayed_at  TIMESTAMPTZ,
    done_at     TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL;

-- One row per transactional message actually handed to the mail server.
CREATE TABLE sent_mail (
    key        TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    error      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at    TIMESTAMPTZ
);
