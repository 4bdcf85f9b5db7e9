-- Search folds case with nl_fold, a function the store registers in Go:
-- nothing to create here.
SELECT 1;
