-- The index on the name served no query: subscriber search matches a part of
-- the name (LIKE '%...%'), which a b-tree cannot answer, and every insert
-- paid for it.
DROP INDEX IF EXISTS subscribers_name_idx;
