-- PostgreSQL replaces the b-tree on consent_events (created_at, action,
-- purpose) with a BRIN index here; SQLite has no BRIN, so it keeps the
-- b-tree. The version is kept in step with PostgreSQL's.
SELECT 1;
