package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataDirPrivate: in the embedded mode the database and its log are
// readable by their owner only, and a data directory other users of the
// machine may read is named in one warning at start.
func TestDataDirPrivate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const warning = "the data directory is open to other users"
	p := start(t, map[string]string{"NEWSLETTER_DATA_DIR": dir})
	checkPrivate := func() {
		t.Helper()
		for _, name := range []string{"newsletter.db", "newsletter.db-wal", "secret"} {
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if mode := st.Mode().Perm(); mode != 0o600 {
				t.Errorf("%s: mode %04o, want 0600", name, mode)
			}
		}
	}
	checkPrivate()
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if n := strings.Count(p.errOut(), warning); n != 1 {
		t.Errorf("%d warnings about the open data directory, want 1:\n%s", n, p.errOut())
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p = start(t, map[string]string{"NEWSLETTER_DATA_DIR": dir})
	checkPrivate()
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(p.errOut(), warning) {
		t.Errorf("a private data directory was warned about:\n%s", p.errOut())
	}
}
