package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// sqliteFileSuffixes are the files SQLite keeps beside a database: its
// write-ahead log, the log's shared-memory index and a rollback journal.
var sqliteFileSuffixes = []string{"", "-wal", "-shm", "-journal"}

// privateSQLiteFiles makes the database at path readable by its owner only
// before SQLite opens it: a new database is created empty with mode 0600
// (SQLite's own default is 0644 less the umask), and the files of an
// existing one are set to 0600. SQLite gives the log and index files it
// creates later the mode of the database file, so they are private too.
func privateSQLiteFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("create database file: %w", err)
	}
	for _, suffix := range sqliteFileSuffixes {
		err := os.Chmod(path+suffix, 0o600)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("make database file private: %w", err)
		}
	}
	return nil
}
