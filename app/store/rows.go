package store

// fromRows converts rows read from a table into the domain values conv
// makes of each, in order.
func fromRows[R, T any](rows []R, conv func(*R) *T) []T {
	out := make([]T, len(rows))
	for i := range rows {
		out[i] = *conv(&rows[i])
	}
	return out
}

// fromRowsErr is fromRows for a conversion that can fail (a stored JSON
// column that does not decode): the first failure is returned.
func fromRowsErr[R, T any](rows []R, conv func(*R) (*T, error)) ([]T, error) {
	out := make([]T, len(rows))
	for i := range rows {
		v, err := conv(&rows[i])
		if err != nil {
			return nil, err
		}
		out[i] = *v
	}
	return out, nil
}
