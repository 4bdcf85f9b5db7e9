-- Newsletters: the lists a person joins and leaves one by one. Each has a
-- purpose, which names the consent its mail needs (marketing: advertising
-- and processing; informational: processing). One default newsletter per
-- purpose takes in everyone who consents without choosing, and receives
-- the campaigns that name no newsletter, so that nothing changes for
-- existing subscribers and API clients.
CREATE TABLE newsletters (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL,
    description_en TEXT NOT NULL DEFAULT '',
    description_ru TEXT NOT NULL DEFAULT '',
    purpose        TEXT NOT NULL CHECK (purpose IN ('marketing', 'informational')),
    public         BOOLEAN NOT NULL DEFAULT false,
    is_default     BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX newsletters_default_idx ON newsletters (purpose) WHERE is_default;

INSERT INTO newsletters (name, description_en, description_ru, purpose, public, is_default) VALUES
    ('News and offers', 'Our news, offers and promotions.', 'Наши новости, предложения и акции.', 'marketing', true, true),
    ('Service messages', 'Messages about the service you subscribed to.', 'Сообщения о сервисе, на который вы подписаны.', 'informational', false, true);

-- Who is on which newsletter now: a row with left_at NULL is a member.
-- Leaving keeps the row (left_at set); joining again clears it. The history,
-- with its evidence, is in newsletter_events.
CREATE TABLE newsletter_members (
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),
    newsletter_id BIGINT NOT NULL REFERENCES newsletters (id),
    channel       TEXT NOT NULL,
    joined_at     TIMESTAMPTZ NOT NULL,
    left_at       TIMESTAMPTZ,
    PRIMARY KEY (subscriber_id, newsletter_id)
);
-- Members of a newsletter in subscriber order: counts and materialization.
CREATE INDEX newsletter_members_current_idx ON newsletter_members (newsletter_id, subscriber_id) WHERE left_at IS NULL;

-- Append-only, like consent_events: every join and leave with its evidence
-- (the channel, IP, user agent, form, page; the request and the campaign
-- whose message it came from). Erasure destroys IP, user agent and page.
CREATE TABLE newsletter_events (
    id            BIGSERIAL PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id),
    newsletter_id BIGINT NOT NULL REFERENCES newsletters (id),
    action        TEXT NOT NULL CHECK (action IN ('joined', 'left')),
    channel       TEXT NOT NULL,
    ip            TEXT,
    user_agent    TEXT,
    form_id       TEXT NOT NULL DEFAULT '',
    page          TEXT NOT NULL DEFAULT '',
    request_id    BIGINT,
    campaign_id   BIGINT,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX newsletter_events_subscriber_idx ON newsletter_events (subscriber_id, id);
CREATE INDEX newsletter_events_campaign_idx ON newsletter_events (campaign_id) WHERE campaign_id IS NOT NULL;

-- The newsletters a campaign goes to.
CREATE TABLE campaign_newsletters (
    campaign_id   BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters (id),
    PRIMARY KEY (campaign_id, newsletter_id)
);
CREATE INDEX campaign_newsletters_newsletter_idx ON campaign_newsletters (newsletter_id);

-- The newsletters a pending subscription chose (ids, comma-separated;
-- empty: the default newsletter of each consented purpose).
ALTER TABLE confirmations ADD COLUMN newsletters TEXT NOT NULL DEFAULT '';

-- Everyone keeps receiving what they receive today: a granted consent to
-- advertising makes a member of the default marketing newsletter, one to
-- processing of the default informational newsletter.
INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at)
SELECT c.subscriber_id, n.id, 'migration', c.updated_at
FROM consents c
JOIN subscribers s ON s.id = c.subscriber_id AND s.status <> 'erased'
JOIN newsletters n ON n.is_default
    AND n.purpose = CASE c.purpose WHEN 'marketing' THEN 'marketing' ELSE 'informational' END
WHERE c.granted AND c.purpose IN ('marketing', 'processing');

-- Every campaign so far went to its purpose's audience: its default newsletter.
INSERT INTO campaign_newsletters (campaign_id, newsletter_id)
SELECT c.id, n.id FROM campaigns c JOIN newsletters n ON n.is_default AND n.purpose = c.purpose;
