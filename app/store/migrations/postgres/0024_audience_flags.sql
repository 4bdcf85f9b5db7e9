-- The audience count reads, on the subscriber's row, a copy of what the
-- rule of sending reads elsewhere: the current state of each consent and
-- whether the address is on the suppression list. The database keeps the
-- copy true itself, in the transaction of every change (the triggers
-- below), whichever code path makes it; sending (materialization and
-- claims) still reads consents and suppressions themselves.
--
-- No write to the three tables may fall between the backfill and the
-- triggers: the migration holds them until it commits (readers go on).
LOCK TABLE subscribers, consents, suppressions IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE subscribers
    ADD COLUMN consent_processing   BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN consent_marketing    BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN consent_cross_border BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN suppressed           BOOLEAN NOT NULL DEFAULT false;

-- The people already there.
UPDATE subscribers s SET consent_processing = f.p, consent_marketing = f.m, consent_cross_border = f.x
FROM (SELECT subscriber_id,
             COALESCE(bool_or(granted) FILTER (WHERE purpose = 'processing'), false) AS p,
             COALESCE(bool_or(granted) FILTER (WHERE purpose = 'marketing'), false) AS m,
             COALESCE(bool_or(granted) FILTER (WHERE purpose = 'cross_border'), false) AS x
      FROM consents GROUP BY subscriber_id) f
WHERE s.id = f.subscriber_id AND (f.p OR f.m OR f.x);
UPDATE subscribers s SET suppressed = true FROM suppressions x WHERE x.email_hash = s.email_hash;

-- Concurrent changes. A trigger that recomputes a subscriber's consent
-- flags first locks the subscriber's row, then reads the consents in a
-- statement of its own, so under READ COMMITTED it sees every change
-- committed before it (a transaction changing another consent of the same
-- person waits for the lock). The flags of inserted consents come from the
-- inserted rows alone, each column set only by a row of its purpose, so a
-- concurrent change of another purpose is kept. The suppression flag joins
-- two tables by the address hash: the writers of suppressions and the
-- writers of a subscriber's hash take a transaction-level advisory lock on
-- the hash's bucket (one of 256; exclusive for suppressions, shared for
-- subscribers) before they look at the other table, so whichever comes
-- second sees what the first committed.

-- Recomputes the consent flags of the subscribers in the transition table
-- "changed" from the consents table (updates and deletes: rare, small).
CREATE FUNCTION subscribers_consent_flags_recompute() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM subscribers WHERE id IN (SELECT subscriber_id FROM changed) ORDER BY id FOR NO KEY UPDATE;
    UPDATE subscribers s SET consent_processing = f.p, consent_marketing = f.m, consent_cross_border = f.x
    FROM (SELECT ch.id,
                 COALESCE(bool_or(c.granted) FILTER (WHERE c.purpose = 'processing'), false) AS p,
                 COALESCE(bool_or(c.granted) FILTER (WHERE c.purpose = 'marketing'), false) AS m,
                 COALESCE(bool_or(c.granted) FILTER (WHERE c.purpose = 'cross_border'), false) AS x
          FROM (SELECT DISTINCT subscriber_id AS id FROM changed) ch
          LEFT JOIN consents c ON c.subscriber_id = ch.id
          GROUP BY ch.id) f
    WHERE s.id = f.id
      AND (s.consent_processing, s.consent_marketing, s.consent_cross_border) IS DISTINCT FROM (f.p, f.m, f.x);
    RETURN NULL;
END $$;

-- Inserted consents carry their final state: the flags are set from the
-- transition table alone (an import of many rows costs one join, and no
-- write when the import already set the flags).
CREATE FUNCTION subscribers_consent_flags_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscribers s SET
        consent_processing   = COALESCE(f.p, s.consent_processing),
        consent_marketing    = COALESCE(f.m, s.consent_marketing),
        consent_cross_border = COALESCE(f.x, s.consent_cross_border)
    FROM (SELECT subscriber_id AS id,
                 bool_or(granted) FILTER (WHERE purpose = 'processing') AS p,
                 bool_or(granted) FILTER (WHERE purpose = 'marketing') AS m,
                 bool_or(granted) FILTER (WHERE purpose = 'cross_border') AS x
          FROM changed GROUP BY subscriber_id) f
    WHERE s.id = f.id
      AND (s.consent_processing, s.consent_marketing, s.consent_cross_border) IS DISTINCT FROM
          (COALESCE(f.p, s.consent_processing), COALESCE(f.m, s.consent_marketing), COALESCE(f.x, s.consent_cross_border));
    RETURN NULL;
END $$;

CREATE TRIGGER consents_flags_insert AFTER INSERT ON consents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_consent_flags_insert();
CREATE TRIGGER consents_flags_update_new AFTER UPDATE ON consents
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_consent_flags_recompute();
CREATE TRIGGER consents_flags_update_old AFTER UPDATE ON consents
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_consent_flags_recompute();
CREATE TRIGGER consents_flags_delete AFTER DELETE ON consents
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_consent_flags_recompute();

-- The advisory lock bucket of an address hash.
CREATE FUNCTION suppression_lock_bucket(h TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT 7240000000 + (hashtext(h) & 255)
$$;

-- The suppression flag of the subscribers whose address hash is in the
-- transition table "changed" (suppressions added, lifted or changed).
CREATE FUNCTION subscribers_suppressed_recompute() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b BIGINT;
BEGIN
    FOR b IN SELECT DISTINCT suppression_lock_bucket(email_hash) FROM changed ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(b);
    END LOOP;
    UPDATE subscribers s SET suppressed = NOT s.suppressed
    WHERE s.email_hash IN (SELECT email_hash FROM changed)
      AND s.suppressed <> EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = s.email_hash);
    RETURN NULL;
END $$;

CREATE TRIGGER suppressions_flag_insert AFTER INSERT ON suppressions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_suppressed_recompute();
CREATE TRIGGER suppressions_flag_update_new AFTER UPDATE ON suppressions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_suppressed_recompute();
CREATE TRIGGER suppressions_flag_update_old AFTER UPDATE ON suppressions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_suppressed_recompute();
CREATE TRIGGER suppressions_flag_delete AFTER DELETE ON suppressions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_suppressed_recompute();

-- A subscriber's own flag follows their address hash: set on insert (one
-- join per statement: imports insert many) and whenever the hash changes.
CREATE FUNCTION subscribers_suppressed_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b BIGINT;
BEGIN
    FOR b IN SELECT DISTINCT suppression_lock_bucket(email_hash) FROM changed WHERE email_hash IS NOT NULL ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock_shared(b);
    END LOOP;
    UPDATE subscribers s SET suppressed = NOT s.suppressed
    FROM changed n
    WHERE s.id = n.id
      AND (n.suppressed OR EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = n.email_hash))
      AND s.suppressed <> (s.email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = s.email_hash));
    RETURN NULL;
END $$;

CREATE FUNCTION subscribers_suppressed_hash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.email_hash IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock_shared(suppression_lock_bucket(NEW.email_hash));
    END IF;
    NEW.suppressed := NEW.email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM suppressions x WHERE x.email_hash = NEW.email_hash);
    RETURN NEW;
END $$;

CREATE TRIGGER subscribers_suppressed_insert AFTER INSERT ON subscribers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION subscribers_suppressed_inserted();
CREATE TRIGGER subscribers_suppressed_update BEFORE UPDATE OF email_hash, suppressed ON subscribers
    FOR EACH ROW WHEN (OLD.email_hash IS DISTINCT FROM NEW.email_hash OR OLD.suppressed IS DISTINCT FROM NEW.suppressed)
    EXECUTE FUNCTION subscribers_suppressed_hash();

-- The count reads every input in subscriber order from an index alone
-- (index-only scans) and merges them: the people who may be counted, each
-- newsletter's members (newsletter_members_current_idx), and the forms and
-- imports subscriptions came from (the segments' sources).
CREATE INDEX subscribers_audience_idx ON subscribers (id)
    INCLUDE (status, locale, confirmed_at, consent_processing, consent_marketing, consent_cross_border, suppressed)
    WHERE status IN ('active', 'blocked') AND email IS NOT NULL;
CREATE INDEX consent_events_grant_source_idx ON consent_events (subscriber_id) INCLUDE (form_id, channel)
    WHERE purpose = 'processing' AND action = 'granted';
