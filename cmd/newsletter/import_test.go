package main_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const importCSV = "name;email;phone;consent_at;consent_source;marketing\n" +
	"Ivan Petrov;ivan@example.com;+7 912 000-00-01;01.03.2025 10:00;Spring fair;да\n" +
	"Olga Sidorova;olga@example.com;;2025-03-02;Spring fair;нет\n" +
	"No Evidence;noevidence@example.com;;;;yes\n" +
	"Bad Address;not-an-address;;2025-03-02;Spring fair;no\n"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// importPeople imports n people, <prefix>1@example.com on, with the
// advertising consent, and returns their addresses; it fails the test
// unless all of them are imported.
func importPeople(t *testing.T, env map[string]string, prefix string, n int) []string {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("name,email,consent_at,consent_source,marketing\n")
	emails := make([]string, n)
	for i := range emails {
		emails[i] = fmt.Sprintf("%s%d@example.com", prefix, i+1)
		fmt.Fprintf(&csv, "Person %c%c,%s,2025-03-01,test import,yes\n", 'A'+i%26, 'a'+i/26%26, emails[i])
	}
	if code, out, errOut := runCmd(t, env, "import", writeFile(t, "people.csv", csv.String())); code != 0 ||
		!strings.Contains(out, fmt.Sprintf("imported:            %d", n)) {
		t.Fatalf("import: %d\n%s%.2000s", code, out, errOut)
	}
	return emails
}

// TestImportCommand runs `newsletter import` as a process against the
// embedded database and against PostgreSQL.
func TestImportCommand(t *testing.T) {
	envs := map[string]func(t *testing.T) map[string]string{
		"embedded": func(t *testing.T) map[string]string { return map[string]string{"NEWSLETTER_DATA_DIR": t.TempDir()} },
		"postgres": productionEnv,
	}
	for name, mkEnv := range envs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			env := mkEnv(t)
			file := writeFile(t, "subscribers.csv", importCSV)
			code, out, errOut := runCmd(t, env, "import", file)
			if code != 0 {
				t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{"4 rows", "imported:            2", "already on file:     0", "rejected:            2"} {
				if !strings.Contains(out, want) {
					t.Errorf("summary lacks %q:\n%s", want, out)
				}
			}
			for _, want := range []string{"line 4: no consent evidence", "line 5: email:"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if strings.Contains(out+errOut, "ivan@") || strings.Contains(out+errOut, "noevidence@") ||
				strings.Contains(out+errOut, "not-an-address") || strings.Contains(out, "\r") {
				t.Errorf("output shows addresses or a progress bar off a terminal:\n%s%s", out, errOut)
			}

			// Again: nothing new; a dry run writes nothing.
			if code, out, _ := runCmd(t, env, "import", file); code != 0 || !strings.Contains(out, "already on file:     2") {
				t.Errorf("second import: %d\n%s", code, out)
			}
			more := writeFile(t, "more.csv", "email,consent_at,source\nnew@example.com,2025-01-01,shop\n")
			if code, out, _ := runCmd(t, env, "import", "--dry-run", more); code != 0 || !strings.Contains(out, "dry run") ||
				!strings.Contains(out, "imported:            1") {
				t.Errorf("dry run: %d\n%s", code, out)
			}
			if code, out, _ := runCmd(t, env, "import", more); code != 0 || !strings.Contains(out, "imported:            1") {
				t.Errorf("import after the dry run: %d\n%s", code, out)
			}

			// Fatal errors: nothing imported, exit 1; usage errors exit 2.
			broken := writeFile(t, "broken.csv", "email,consent_at,source\nx@example.com,2025-01-01,\"shop\n")
			if code, _, errOut := runCmd(t, env, "import", broken); code != 1 || !strings.Contains(errOut, "nothing was imported") {
				t.Errorf("broken file: %d %s", code, errOut)
			}
			noHeader := writeFile(t, "noheader.csv", "name,phone\nAnna,+79120000000\n")
			if code, _, errOut := runCmd(t, env, "import", noHeader); code != 1 || !strings.Contains(errOut, "lacks the required column(s) email") {
				t.Errorf("file without the required columns: %d %s", code, errOut)
			}
			if code, _, errOut := runCmd(t, env, "import", filepath.Join(t.TempDir(), "missing.csv")); code != 1 || errOut == "" {
				t.Errorf("missing file: %d %s", code, errOut)
			}
			if code, _, _ := runCmd(t, env, "import"); code != 2 {
				t.Errorf("no file: exit %d, want 2", code)
			}

			// Into chosen newsletters: an unknown one refuses the file, a
			// bad list is a usage error.
			chosen := writeFile(t, "chosen.csv", "email,consent_at,source\nchosen@example.com,2025-01-01,shop\n")
			if code, _, errOut := runCmd(t, env, "import", "--newsletters", "999999", chosen); code != 1 ||
				!strings.Contains(errOut, "newsletter 999999 does not exist") {
				t.Errorf("unknown newsletter: %d %s", code, errOut)
			}
			if code, _, _ := runCmd(t, env, "import", "--newsletters", "x", chosen); code != 2 {
				t.Errorf("bad newsletter list: exit %d, want 2", code)
			}
			if code, out, _ := runCmd(t, env, "import", "--newsletters", "2", chosen); code != 0 || !strings.Contains(out, "imported:            1") {
				t.Errorf("import into newsletter 2: %d\n%s", code, out)
			}
		})
	}
}

func TestBenchImportCommand(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		dataDir := t.TempDir()
		code, out, errOut := runCmd(t, map[string]string{"NEWSLETTER_DATA_DIR": dataDir}, "bench", "import", "--rows", "3000")
		if code != 0 || !strings.Contains(out, "bench import (sqlite): 3000 rows in batches of 5000, committed") || !strings.Contains(out, "rows/s") {
			t.Fatalf("bench import: %d\n%s%s", code, out, errOut)
		}
		if entries, err := os.ReadDir(dataDir); err != nil || len(entries) != 0 {
			t.Errorf("bench import wrote into the data directory: %v %v", entries, err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		env := productionEnv(t)
		code, out, errOut := runCmd(t, env, "bench", "import", "--rows", "3000", "--batch", "700")
		if code != 0 || !strings.Contains(out, "bench import (postgres): 3000 rows in batches of 700, committed") {
			t.Fatalf("bench import: %d\n%s%s", code, out, errOut)
		}
		// The bench worked in a schema of its own and dropped it: the
		// configured database has no bench schema and no subscribers.
		db, err := sql.Open("pgx", env["DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var schemas int
		if err := db.QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'nlbench_%'`).Scan(&schemas); err != nil {
			t.Fatal(err)
		}
		if schemas != 0 {
			t.Errorf("%d bench schemas left behind", schemas)
		}
		var tables int
		if err := db.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'subscribers'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("bench import created tables in the configured schema")
		}
	})
}
