package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// PostgresCluster is a throwaway PostgreSQL server of the test's own, which
// fault tests may stop and start without touching the shared one.
type PostgresCluster struct {
	Port int
	dir  string
	t    testing.TB
	tls  *TLSFiles
}

// pgBin finds a PostgreSQL server program.
func pgBin(name string) string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// asPostgres runs a command as the postgres user when running as root
// (PostgreSQL refuses to run as root).
func asPostgres(args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
	}
	return exec.Command(args[0], args[1:]...)
}

// StartPostgresCluster creates and starts a new cluster on a free port; it
// is removed when the test ends.
func StartPostgresCluster(t testing.TB) *PostgresCluster {
	t.Helper()
	c, _ := startPostgresCluster(t, false)
	return c
}

func startPostgresCluster(t testing.TB, withTLS bool) (*PostgresCluster, TLSFiles) {
	t.Helper()
	initdb := pgBin("initdb")
	if initdb == "" || pgBin("pg_ctl") == "" {
		skipOrFail(t, "PostgreSQL server programs (initdb, pg_ctl) not installed")
	}
	base, err := os.MkdirTemp("", "nl-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &PostgresCluster{Port: FreePort(t), dir: filepath.Join(base, "data"), t: t}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", base).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	t.Cleanup(func() {
		c.Stop()
		os.RemoveAll(base)
	})
	if out, err := asPostgres(initdb, "-D", c.dir, "-A", "trust", "-U", "postgres", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	var files TLSFiles
	if withTLS {
		files = NewTLSFiles(t, base)
		if os.Geteuid() == 0 { // the server reads its key as the postgres user
			if out, err := exec.Command("chown", "postgres", files.Cert, files.Key).CombinedOutput(); err != nil {
				t.Fatalf("chown: %v %s", err, out)
			}
		}
		c.tls = &files
	}
	c.Start()
	return c, files
}

// StartPostgresClusterTLS is StartPostgresCluster with TLS on: the server's
// certificate (for 127.0.0.1 and localhost) is signed by the returned
// throwaway authority.
func StartPostgresClusterTLS(t testing.TB) (*PostgresCluster, TLSFiles) {
	t.Helper()
	return startPostgresCluster(t, true)
}

// URL is the cluster's postgres database.
func (c *PostgresCluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// Start starts the server and waits until it accepts connections.
func (c *PostgresCluster) Start() {
	c.t.Helper()
	opts := "-p " + strconv.Itoa(c.Port) + " -k " + filepath.Dir(c.dir) + " -c listen_addresses=127.0.0.1 -c fsync=off"
	if c.tls != nil {
		opts += " -c ssl=on -c ssl_cert_file=" + c.tls.Cert + " -c ssl_key_file=" + c.tls.Key
	}
	if out, err := asPostgres(pgBin("pg_ctl"), "-D", c.dir, "-o", opts, "-l", filepath.Join(filepath.Dir(c.dir), "log"), "-w", "start").CombinedOutput(); err != nil {
		c.t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// Stop stops the server at once (fast shutdown: connections are closed).
func (c *PostgresCluster) Stop() {
	_ = asPostgres(pgBin("pg_ctl"), "-D", c.dir, "-m", "fast", "-w", "stop").Run()
}
