-- Campaigns and their per-recipient delivery records.
CREATE TABLE campaigns (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    subject           TEXT NOT NULL,
    purpose           TEXT NOT NULL CHECK (purpose IN ('marketing', 'informational')),
    locale            TEXT NOT NULL DEFAULT '',
    body_html         TEXT NOT NULL,
    body_text         TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'cancelled', 'finished')),
    send_at           DATETIME,
    -- Bumped by every schedule, resume, retry and recovery: names the
    -- dispatch task of that round, so an outdated one does nothing.
    version           BIGINT NOT NULL DEFAULT 0,
    recipients        BIGINT NOT NULL DEFAULT 0,
    sent              BIGINT NOT NULL DEFAULT 0,
    failed            BIGINT NOT NULL DEFAULT 0,
    skipped           BIGINT NOT NULL DEFAULT 0,
    opted_out         BIGINT NOT NULL DEFAULT 0,
    -- Materialization: the audience is the subscribers with ids up to
    -- audience_max_id; those below materialized_upto have delivery rows.
    audience_max_id   BIGINT,
    materialized_upto BIGINT NOT NULL DEFAULT 0,
    materialized_at   DATETIME,
    progress_at       DATETIME,
    created_by        BIGINT,
    created_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at        DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    started_at        DATETIME,
    finished_at       DATETIME
);
CREATE INDEX campaigns_status_idx ON campaigns (status, send_at);

-- A claim is one batch's hold on the deliveries it is sending. Its lease is
-- renewed while the worker lives; rows of a claim whose lease ran out are
-- taken over by another batch.
CREATE TABLE delivery_claims (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id BIGINT NOT NULL,
    owner       TEXT NOT NULL,
    lease_until DATETIME NOT NULL,
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX delivery_claims_campaign_idx ON delivery_claims (campaign_id, lease_until);
CREATE INDEX delivery_claims_owner_idx ON delivery_claims (owner);

-- One row per (campaign, subscriber): the truth of what was sent. No
-- foreign keys: rows are written a million at a time by one statement that
-- takes them from subscribers, and hold no personal data.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id     BIGINT NOT NULL,
    subscriber_id   BIGINT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'opted_out')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    claim_id        BIGINT,
    next_attempt_at DATETIME,
    sent_at         DATETIME,
    smtp_code       INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    UNIQUE (campaign_id, subscriber_id)
);
CREATE INDEX deliveries_open_idx ON deliveries (campaign_id, id) WHERE status IN ('pending', 'sending');
CREATE INDEX deliveries_claim_idx ON deliveries (claim_id) WHERE claim_id IS NOT NULL;
