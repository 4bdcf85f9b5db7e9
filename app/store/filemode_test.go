package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"newsletter/app/store"
)

// TestSQLiteFilesPrivate: the embedded database, its write-ahead log and
// its shared-memory file are readable by their owner only, even in a data
// directory others may read and under a lenient umask; a database file
// left readable by an older version is made private when opened.
func TestSQLiteFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	for _, existing := range []bool{false, true} {
		name := map[bool]string{false: "New", true: "ExistingReadable"}[existing]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "newsletter.db")
			if existing {
				s, err := store.Open(ctx, "", path)
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				for _, p := range []string{path, path + "-wal", path + "-shm"} {
					if err := os.Chmod(p, 0o644); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			}
			s, err := store.Open(ctx, "", path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.Migrate(ctx); err != nil { // writes: the WAL exists now
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				st, err := os.Stat(p)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(p), err)
				}
				if mode := st.Mode().Perm(); mode != 0o600 {
					t.Errorf("%s: mode %o, want 600", filepath.Base(p), mode)
				}
			}
		})
	}
}
