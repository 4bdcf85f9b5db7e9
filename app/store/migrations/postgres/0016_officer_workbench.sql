-- nl_fold: the text a search compares, in lower case in every language
-- (ё written as е), whatever the database's collation: over ICU's root
-- collation when the server has ICU, else the database's own lower().
DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
        CREATE OR REPLACE FUNCTION nl_fold(t text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $f$ SELECT translate(lower(t COLLATE "und-x-icu"), 'ё', 'е') $f$;
    ELSE
        CREATE OR REPLACE FUNCTION nl_fold(t text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $f$ SELECT translate(lower(t), 'ё', 'е') $f$;
    END IF;
END
$do$;
