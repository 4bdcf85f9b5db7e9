package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// DovecotServer is a throwaway Dovecot IMAP server listening on 127.0.0.1,
// with one user and plain-text login. It offers IDLE (unless started with
// DovecotWithoutIdle), MOVE and UIDPLUS.
type DovecotServer struct {
	// Addr is host:port of the IMAP listener.
	Addr string
	// User and Password log in.
	User, Password string

	bin, dir, conf string
}

// DovecotOption changes the configuration of a test server.
type DovecotOption func(conf *string)

// DovecotWithoutIdle makes the server announce no IDLE capability, as some
// providers' servers do: clients must poll.
func DovecotWithoutIdle(conf *string) {
	*conf += "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ NAMESPACE UNSELECT CHILDREN UIDPLUS MOVE\n"
}

// Dovecot starts a Dovecot IMAP server for the test and stops it when the
// test ends. Each call gets its own server, folder and port, so tests may run
// in parallel. Without a dovecot binary the test is skipped, unless the
// environment variable CI is set, where it fails.
func Dovecot(t testing.TB, opts ...DovecotOption) *DovecotServer {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
			if _, statErr := os.Stat(p); statErr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		skipOrFail(t, "dovecot is not installed (apt-get install dovecot-imapd)")
	}

	// Dovecot's processes run as other users: the folder must be reachable
	// by them, so it is made here rather than with t.TempDir (mode 0700).
	dir, err := os.MkdirTemp("", "dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	s := &DovecotServer{
		bin:      bin,
		User:     "requests",
		Password: dovecotRandomHex(t, 12),
		dir:      dir,
		conf:     filepath.Join(dir, "dovecot.conf"),
	}
	port := dovecotFreePort(t)
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	// As root, Dovecot's login processes run as dovenull and the mail
	// belongs to dovecot; unprivileged, everything runs as the caller.
	loginUser, internalUser := "dovenull", "dovecot"
	mailUID, mailGID := os.Getuid(), os.Getgid()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("dovecot")
		if err != nil {
			t.Fatalf("dovecot user: %v", err)
		}
		mailUID, _ = strconv.Atoi(u.Uid)
		mailGID, _ = strconv.Atoi(u.Gid)
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		loginUser, internalUser = u.Username, u.Username
	}
	mailDir := filepath.Join(dir, "mail")
	for _, d := range []string{mailDir, filepath.Join(dir, "run"), filepath.Join(dir, "state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(mailDir, mailUID, mailGID); err != nil {
		t.Fatal(err)
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s::::::\n", s.User, s.Password)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`# throwaway test server
protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = dovecot-test-%[2]d
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = %[3]s
default_internal_user = %[4]s
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:%[1]s/mail/%%u
mailbox_idle_check_interval = 1 secs
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[5]d gid=%[6]d home=%[1]s/mail/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
# No chroots and no socket groups: the same file serves an unprivileged run.
service imap-login {
  chroot =
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    group =
    mode = 0666
  }
  unix_listener stats-writer {
    group =
    mode = 0666
  }
}
service imap-hibernate {
  unix_listener imap-hibernate {
    group =
  }
}
service dict {
  unix_listener dict {
    group =
  }
}
service dict-async {
  unix_listener dict-async {
    group =
  }
}
`, dir, port, loginUser, internalUser, mailUID, mailGID)
	for _, o := range opts {
		o(&conf)
	}
	if err := os.WriteFile(s.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	s.Start(t)
	return s
}

// Start starts the server (again, after Stop) and waits until it listens.
func (s *DovecotServer) Start(t testing.TB) {
	t.Helper()
	// Dovecot daemonizes but keeps the caller's output open: detach it.
	cmd := exec.Command(s.bin, "-c", s.conf)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Run(); err != nil {
		t.Fatalf("starting dovecot: %v\n%s", err, s.Log())
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot did not listen on %s: %v\n%s", s.Addr, err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server, as an outage would; the mail stays. Start starts
// it again.
func (s *DovecotServer) Stop() { s.stop() }

// stop ends the master process and waits for it, then ends the processes
// of this instance that outlive it (a client's imap process keeps serving
// its connection otherwise).
func (s *DovecotServer) stop() {
	defer s.killInstance()
	b, err := os.ReadFile(filepath.Join(s.dir, "run", "master.pid"))
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// killInstance kills the processes whose title names this instance
// ("dovecot-test-PORT/imap", ...).
func (s *DovecotServer) killInstance() {
	_, port, _ := net.SplitHostPort(s.Addr)
	prefix := "dovecot-test-" + port + "/"
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.HasPrefix(string(b), prefix) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid > 1 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// URL returns "imap://user:pass@127.0.0.1:PORT/INBOX".
func (s *DovecotServer) URL() string {
	u := url.URL{Scheme: "imap", User: url.UserPassword(s.User, s.Password), Host: s.Addr, Path: "/INBOX"}
	return u.String()
}

// Log returns the server's log, for test failure messages.
func (s *DovecotServer) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "dovecot.log"))
	return string(b)
}

// Client returns a logged-in IMAP client, closed when the test ends.
func (s *DovecotServer) Client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatalf("imap dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatalf("imap login: %v", err)
	}
	return c
}

// Append puts raw into INBOX, as a delivery would.
func (s *DovecotServer) Append(t testing.TB, raw []byte) {
	t.Helper()
	c := s.Client(t)
	defer c.Logout()
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("imap append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("imap append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("imap append: %v", err)
	}
}

// Count returns the number of messages in folder; 0 when it does not exist.
func (s *DovecotServer) Count(t testing.TB, folder string) int {
	t.Helper()
	c := s.Client(t)
	defer c.Logout()
	data, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeNonExistent {
			return 0
		}
		if list, lerr := c.List("", folder, nil).Collect(); lerr == nil && len(list) == 0 {
			return 0 // Dovecot 2.3 answers a plain NO for a missing folder
		}
		t.Fatalf("imap status: %v", err)
	}
	if data.NumMessages == nil {
		return 0
	}
	return int(*data.NumMessages)
}

func dovecotFreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func dovecotRandomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
