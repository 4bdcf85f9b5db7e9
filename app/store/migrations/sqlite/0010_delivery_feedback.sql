-- Delivery feedback: what receivers and mail providers report about the
-- campaign mail that was sent (bounces and complaints), why a delivery was
-- skipped, the webhook requests already seen, and lifted suppressions.

-- One row per bounce or complaint, whatever brought it: a delivery report or
-- an ARF report by mail, or a provider's webhook. event_key is the source
-- and the report's own id, so a report that arrives twice (a provider's
-- retry) is one row. No personal data: ids and the enhanced status code.
-- delivery_id, campaign_id and subscriber_id are NULL when a provider
-- reports about mail that was not a campaign delivery.
CREATE TABLE feedback_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key     TEXT NOT NULL UNIQUE,
    source        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('hard_bounce', 'soft_bounce', 'complaint')),
    delivery_id   BIGINT,
    campaign_id   BIGINT,
    subscriber_id BIGINT,
    status        TEXT NOT NULL DEFAULT '',
    request_id    BIGINT,
    inbound_id    BIGINT,
    occurred_at   DATETIME NOT NULL,
    created_at    DATETIME NOT NULL
);
CREATE INDEX feedback_events_campaign_idx ON feedback_events (campaign_id, kind, delivery_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX feedback_events_subscriber_idx ON feedback_events (subscriber_id);

-- Why a delivery was skipped at send time: opted_out, suppressed, blocked,
-- erased, cross_border, inactive ('' for deliveries that were not skipped,
-- and for those skipped before this column existed).
ALTER TABLE deliveries ADD COLUMN skip_reason TEXT NOT NULL DEFAULT '';
-- A campaign's failed and skipped deliveries are counted and listed.
CREATE INDEX deliveries_settled_idx ON deliveries (campaign_id, id) WHERE status IN ('failed', 'skipped', 'opted_out');

-- Opt-outs through a campaign's links are counted per campaign.
CREATE INDEX requests_campaign_idx ON requests (campaign_id, id) WHERE campaign_id IS NOT NULL;

-- Webhook requests already processed (a keyed hash of the provider's token,
-- signature or message id): a replayed request is refused. Rows older than
-- the replay window are purged.
CREATE TABLE webhook_replays (
    replay_key TEXT PRIMARY KEY,
    seen_at    DATETIME NOT NULL
);
CREATE INDEX webhook_replays_seen_idx ON webhook_replays (seen_at);

-- Bounce and complaint suppressions a privacy officer lifted, with the
-- officer's reason (which may describe the person: erasure blanks it).
CREATE TABLE suppression_lifts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    email_hash      TEXT NOT NULL,
    previous_reason TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    subscriber_id   BIGINT,
    actor           TEXT NOT NULL,
    lifted_at       DATETIME NOT NULL
);
CREATE INDEX suppression_lifts_subscriber_idx ON suppression_lifts (subscriber_id);
