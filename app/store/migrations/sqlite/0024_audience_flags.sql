-- The audience count reads, on the subscriber's row, a copy of what the
-- rule of sending reads elsewhere: the current state of each consent and
-- whether the address is on the suppression list. The database keeps the
-- copy true itself, in the transaction of every change (the triggers
-- below), whichever code path makes it; sending (materialization and
-- claims) still reads consents and suppressions themselves.
ALTER TABLE subscribers ADD COLUMN consent_processing BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN consent_marketing BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN consent_cross_border BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN suppressed BOOLEAN NOT NULL DEFAULT 0;

UPDATE subscribers SET
    consent_processing   = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'processing' AND c.granted),
    consent_marketing    = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'marketing' AND c.granted),
    consent_cross_border = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'cross_border' AND c.granted),
    suppressed           = email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = subscribers.email_hash);

CREATE TRIGGER consents_flags_insert AFTER INSERT ON consents
BEGIN
    UPDATE subscribers SET
        consent_processing   = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'processing' AND c.granted),
        consent_marketing    = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'marketing' AND c.granted),
        consent_cross_border = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'cross_border' AND c.granted)
    WHERE id = NEW.subscriber_id;
END;
CREATE TRIGGER consents_flags_update AFTER UPDATE ON consents
BEGIN
    UPDATE subscribers SET
        consent_processing   = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'processing' AND c.granted),
        consent_marketing    = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'marketing' AND c.granted),
        consent_cross_border = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'cross_border' AND c.granted)
    WHERE id IN (NEW.subscriber_id, OLD.subscriber_id);
END;
CREATE TRIGGER consents_flags_delete AFTER DELETE ON consents
BEGIN
    UPDATE subscribers SET
        consent_processing   = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'processing' AND c.granted),
        consent_marketing    = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'marketing' AND c.granted),
        consent_cross_border = EXISTS (SELECT 1 FROM consents c WHERE c.subscriber_id = subscribers.id AND c.purpose = 'cross_border' AND c.granted)
    WHERE id = OLD.subscriber_id;
END;

CREATE TRIGGER suppressions_flag_insert AFTER INSERT ON suppressions
BEGIN
    UPDATE subscribers SET suppressed = 1 WHERE email_hash = NEW.email_hash;
END;
CREATE TRIGGER suppressions_flag_update AFTER UPDATE ON suppressions
BEGIN
    UPDATE subscribers SET suppressed = EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = subscribers.email_hash)
    WHERE email_hash IN (NEW.email_hash, OLD.email_hash);
END;
CREATE TRIGGER suppressions_flag_delete AFTER DELETE ON suppressions
BEGIN
    UPDATE subscribers SET suppressed = EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = subscribers.email_hash)
    WHERE email_hash = OLD.email_hash;
END;

-- A subscriber's own flags follow their address hash.
CREATE TRIGGER subscribers_suppressed_insert AFTER INSERT ON subscribers
BEGIN
    UPDATE subscribers SET
        suppressed = email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = subscribers.email_hash)
    WHERE id = NEW.id;
END;
CREATE TRIGGER subscribers_suppressed_update AFTER UPDATE OF email_hash, suppressed ON subscribers
WHEN NEW.suppressed IS NOT (NEW.email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = NEW.email_hash))
BEGIN
    UPDATE subscribers SET
        suppressed = email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = subscribers.email_hash)
    WHERE id = NEW.id;
END;

-- The count reads the forms and imports subscriptions came from (the
-- segments' sources) in subscriber order.
CREATE INDEX consent_events_grant_source_idx ON consent_events (subscriber_id, form_id, channel)
    WHERE purpose = 'processing' AND action = 'granted';
