-- A person's deliveries are read by their data export and blanked by their
-- erasure: both look them up by subscriber.
CREATE INDEX deliveries_subscriber_idx ON deliveries (subscriber_id);
