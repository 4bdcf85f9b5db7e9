-- A campaign's content: its format (markdown or html; existing campaigns
-- are HTML) and its other languages, a JSON object by language:
-- {"ru": {"subject": ..., "body": ..., "body_text": ...}} ('' when none).
ALTER TABLE campaigns ADD COLUMN format TEXT NOT NULL DEFAULT 'html';
ALTER TABLE campaigns ADD COLUMN translations TEXT NOT NULL DEFAULT '';
