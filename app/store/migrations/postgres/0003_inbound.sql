-- Emailed requests: every inbound message, stored before it is processed
-- (the mailbox is never the only copy), processed once per Message-ID.
CREATE TABLE inbound_messages (
    id                  BIGSERIAL PRIMARY KEY,
    -- SHA-256 of the Message-ID, or of the whole message when it has none:
    -- the same message delivered twice (or by IMAP and the webhook) is one row.
    message_key         TEXT NOT NULL UNIQUE,
    source              TEXT NOT NULL CHECK (source IN ('imap', 'webhook')),
    -- The message as received; NULL once destroyed (erasure, retention).
    raw                 BYTEA,
    size                INTEGER NOT NULL DEFAULT 0,
    received_at         TIMESTAMPTZ NOT NULL,
    imap_uidvalidity    BIGINT,
    imap_uid            BIGINT,
    -- received: to be examined; acted: the request is recorded and acted
    -- on, the reply may still be due; done.
    status              TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'acted', 'done')),
    -- Bumped when a privacy officer assigns a kind: the message is
    -- processed again as that kind.
    round               INTEGER NOT NULL DEFAULT 0,
    forced_kind         TEXT NOT NULL DEFAULT '',
    outcome             TEXT NOT NULL DEFAULT '',
    kind                TEXT NOT NULL DEFAULT '',
    lang                TEXT NOT NULL DEFAULT '',
    verification        TEXT NOT NULL DEFAULT '',
    verification_detail TEXT NOT NULL DEFAULT '',
    subscriber_id       BIGINT,
    request_id          BIGINT,
    confirmation_id     BIGINT,
    reply               TEXT NOT NULL DEFAULT '',
    reply_personal      BOOLEAN NOT NULL DEFAULT FALSE,
    erase_after_reply   BOOLEAN NOT NULL DEFAULT FALSE,
    -- Keyed hash of the sender's address: counts replies per address.
    sender_hash         TEXT,
    -- What a reviewer sees of a message of unknown kind (JSON); personal data.
    summary             TEXT,
    replied_at          TIMESTAMPTZ,
    processed_at        TIMESTAMPTZ
);
CREATE INDEX inbound_messages_sender_idx ON inbound_messages (sender_hash, replied_at);
CREATE INDEX inbound_messages_subscriber_idx ON inbound_messages (subscriber_id);
CREATE INDEX inbound_messages_received_idx ON inbound_messages (received_at) WHERE raw IS NOT NULL;

-- Leases that let one process at a time read a mailbox.
CREATE TABLE inbound_leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
