-- Segments: saved filters a campaign targets (the filter is JSON the
-- product wrote, compiled to parameterized SQL when used). Templates are
-- campaigns kept to start others from; they are never sent.
CREATE TABLE segments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    filter     TEXT NOT NULL DEFAULT '{}',
    created_by BIGINT,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

ALTER TABLE campaigns ADD COLUMN segment_id BIGINT REFERENCES segments (id);
ALTER TABLE campaigns ADD COLUMN template BOOLEAN NOT NULL DEFAULT 0;
CREATE INDEX campaigns_segment_idx ON campaigns (segment_id) WHERE segment_id IS NOT NULL;

-- Where a subscription came from: the form id (or import source) of the
-- grants of the processing consent, for the segments' source filter.
CREATE INDEX consent_events_source_idx ON consent_events (form_id, subscriber_id)
    WHERE purpose = 'processing' AND action = 'granted';
