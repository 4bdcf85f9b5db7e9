package store

import (
	"database/sql/driver"
	"fmt"
	"strings"

	gosqlite "github.com/glebarez/go-sqlite"
)

// Search folds case in SQL with nl_fold, the same in both databases and in
// every language: SQLite's own lower() and LIKE know ASCII only ("Борис"
// would not find "борис"), and PostgreSQL's lower() follows the database's
// collation. In SQLite nl_fold is registered here, in Go; in PostgreSQL
// migration 0016 creates it over an ICU collation when the server has one.

// foldFunc is the SQL name of the case folding function.
const foldFunc = "nl_fold"

func init() {
	// Registered once for the driver, for every connection it opens.
	gosqlite.MustRegisterDeterministicScalarFunction(foldFunc, 1, func(_ *gosqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case nil:
			return nil, nil
		case string:
			return fold(v), nil
		case []byte:
			return fold(string(v)), nil
		default:
			return nil, fmt.Errorf("%s: a text argument, got %T", foldFunc, v)
		}
	})
}

// fold is the text search compares: lower case, and ё written as е, as
// Russian texts often do.
func fold(s string) string {
	return foldYo.Replace(strings.ToLower(s))
}

var foldYo = strings.NewReplacer("ё", "е")
