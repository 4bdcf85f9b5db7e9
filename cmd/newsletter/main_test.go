package main_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"newsletter/internal/testenv"
)

// binary is the product, built once for the package by TestMain.
//
// The tests that drive a browser run one at a time; the others call
// t.Parallel(): each has its own database, Redis database, SMTP server,
// data directory and ports, and most of their time is spent waiting on
// the processes they started (leases, failovers, campaigns), so up to
// parallelTests of them run at once whatever the number of CPUs (unless
// go test's -parallel says otherwise).
var binary string

// parallelTests is how many parallel tests run at once by default.
const parallelTests = 4

func TestMain(m *testing.M) {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		if err := flag.Set("test.parallel", strconv.Itoa(parallelTests)); err != nil {
			panic(err)
		}
	}
	dir, err := os.MkdirTemp("", "newsletter-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "newsletter")
	out, err := exec.Command("go", "build", "-race", "-o", binary, ".").CombinedOutput()
	if err != nil {
		// -race needs cgo; fall back to a plain build.
		if out2, err2 := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err2 != nil {
			fmt.Fprintf(os.Stderr, "build: %v\n%s\n%s", err2, out, out2)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is the product started as a process.
type proc struct {
	cmd    *exec.Cmd
	base   string
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan error
}

// start runs the binary with args (a mode that serves HTTP) on a free
// port and waits until it is healthy. A port taken between choosing it and
// the process binding it (by another test's process or connection) makes
// the process exit at once; it is started again on another port.
func start(t *testing.T, env map[string]string, args ...string) *proc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := testenv.FreePort(t)
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		p := launch(t, append([]string{"NEWSLETTER_ADDR=" + addr, "NEWSLETTER_BASE_URL=http://" + addr}, envList(env)...), args...)
		p.base = "http://" + addr
		err := p.waitListening(addr)
		if err == nil {
			p.waitHealthy(t)
			return p
		}
		if attempt < 3 && strings.Contains(p.errOut(), "address already in use") {
			continue
		}
		t.Fatal(err)
	}
}

// launch runs the binary with args and env added to the test's
// environment; the process is killed when the test ends, and its output
// logged when the test failed.
func launch(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{done: make(chan error, 1)}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = &lockedWriter{&p.mu, &p.stdout}
	p.cmd.Stderr = &lockedWriter{&p.mu, &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s (pid %d) stdout:\n%s\nstderr:\n%s", strings.Join(args, " "), p.cmd.Process.Pid, p.out(), p.errOut())
		}
	})
	return p
}

// envList is env as KEY=value entries.
func envList(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) out() string    { p.mu.Lock(); defer p.mu.Unlock(); return p.stdout.String() }
func (p *proc) errOut() string { p.mu.Lock(); defer p.mu.Unlock(); return p.stderr.String() }

// waitListening waits until the process says it listens on addr: only
// then is what answers there this process.
func (p *proc) waitListening(addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out(), "(listening on "+addr+")") {
		select {
		case err := <-p.done:
			p.done <- err // terminate and the cleanup wait on it too
			return fmt.Errorf("process exited early: %v\n%s%s", err, p.out(), p.errOut())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s within 30s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func (p *proc) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("process exited early: %v\n%s%s", err, p.out(), p.errOut())
		default:
		}
		if code, _ := get(p.base + "/healthz"); code == 200 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no /healthz within 30s")
}

func (p *proc) terminate(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("process did not stop within 30s of SIGTERM")
	}
	return p.cmd.ProcessState.ExitCode()
}

func get(url string, header ...string) (int, string) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// checkServing checks health, readiness and metrics: /metrics is off
// without METRICS_TOKEN (metricsToken ""), else only for that bearer token.
func checkServing(t *testing.T, p *proc, metricsToken string) {
	t.Helper()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(p.base + path); code != 200 {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if metricsToken == "" {
		if code, body := get(p.base + "/metrics"); code != 404 || strings.Contains(body, "newsletter_") {
			t.Errorf("/metrics without METRICS_TOKEN: %d, want 404", code)
		}
		return
	}
	if code, body := get(p.base + "/metrics"); code != 401 || strings.Contains(body, "newsletter_") {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}
	code, body := get(p.base+"/metrics", "Authorization", "Bearer "+metricsToken)
	if code != 200 || !strings.Contains(body, "newsletter_http_requests_total") || !strings.Contains(body, "newsletter_queue_depth") {
		t.Errorf("/metrics: %d, missing product metrics", code)
	}
}

func TestEmbeddedMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"NEWSLETTER_DATA_DIR": dir}
	p := start(t, env)
	checkServing(t, p, "")
	if !strings.Contains(p.out(), "log in at "+p.base+"/admin as admin@localhost with password ") {
		t.Errorf("first start must say how to log in; stdout:\n%s", p.out())
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	for _, f := range []string{"secret", "newsletter.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("data dir lacks %s: %v", f, err)
		}
	}
	// A second start keeps the admin and says nothing about a password.
	p2 := start(t, env)
	if strings.Contains(p2.out(), "password") {
		t.Errorf("second start printed a password:\n%s", p2.out())
	}
	if code := p2.terminate(t); code != 0 {
		t.Fatalf("second run exit code %d", code)
	}
}

func productionEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DATABASE_URL":        testenv.Postgres(t),
		"REDIS_URL":           testenv.Redis(t),
		"NEWSLETTER_SECRET":   "test-secret-0123456789abcdef0123456789",
		"NEWSLETTER_DATA_DIR": t.TempDir(),
		"METRICS_TOKEN":       productionMetricsToken,
	}
}

const productionMetricsToken = "metrics-token-0123456789"

func TestProductionMode(t *testing.T) {
	t.Parallel()
	env := productionEnv(t)
	if code, out, errOut := runCmd(t, env, "migrate"); code != 0 || !strings.Contains(out, "schema version") {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if code, out, _ := runCmd(t, env, "migrate"); code != 0 || !strings.Contains(out, "applied 0 migrations") {
		t.Fatalf("second migrate: %d %s", code, out)
	}
	code, out, errOut := runCmd(t, env, "admin", "create", "--email", "Owner@Example.com", "--role", "owner")
	if code != 0 || !strings.Contains(out, "password: ") {
		t.Fatalf("admin create: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, env, "admin", "create", "--email", "x@example.com", "--role", "boss"); code == 0 || !strings.Contains(errOut, "role") {
		t.Fatalf("admin create with a bad role: %d %s", code, errOut)
	}
	code, token, errOut := runCmd(t, env, "admin", "token", "--email", "owner@example.com")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "nl_") {
		t.Fatalf("admin token: %d %q %s", code, token, errOut)
	}

	for _, mode := range []string{"serve", "web"} {
		t.Run(mode, func(t *testing.T) {
			p := start(t, env, mode)
			checkServing(t, p, productionMetricsToken)
			if code, body := get(p.base+"/api/v1/me", "Authorization", "Bearer "+token); code != 200 || !strings.Contains(body, `"owner"`) {
				t.Errorf("/api/v1/me with token: %d %s", code, body)
			}
			if code, body := get(p.base + "/api/v1/me"); code != 401 || !strings.Contains(body, `"error"`) {
				t.Errorf("/api/v1/me without token: %d %s", code, body)
			}
			if code, _ := get(p.base+"/api/v1/me", "Authorization", "Bearer nl_wrong"); code != 401 {
				t.Errorf("/api/v1/me with a wrong token: %d", code)
			}
			if code := p.terminate(t); code != 0 {
				t.Fatalf("exit code %d after SIGTERM", code)
			}
		})
	}
	t.Run("worker", func(t *testing.T) {
		// A worker serves no pages; its counters are scraped on
		// METRICS_ADDR, which serves /metrics alone.
		metricsAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
		cmd := exec.Command(binary, "worker")
		cmd.Env = append(os.Environ(), "METRICS_ADDR="+metricsAddr)
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		if !strings.Contains(line, "worker") {
			t.Errorf("worker said %q", line)
		}
		if code, body := get("http://"+metricsAddr+"/metrics", "Authorization", "Bearer "+productionMetricsToken); code != 200 ||
			!strings.Contains(body, "newsletter_queue_depth") {
			t.Errorf("worker metrics on METRICS_ADDR: %d %.200s", code, body)
		}
		if code, _ := get("http://" + metricsAddr + "/metrics"); code != 401 {
			t.Errorf("worker metrics without the token: %d, want 401", code)
		}
		if code, _ := get("http://" + metricsAddr + "/healthz"); code != 404 {
			t.Errorf("METRICS_ADDR serves more than /metrics: /healthz %d", code)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("worker did not stop")
		}
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("worker exit code %d", code)
		}
	})
}

func TestReadyzNamesWhatIsDown(t *testing.T) {
	t.Parallel()
	env := productionEnv(t)
	redisSrv := testenv.StartRedisServer(t)
	env["REDIS_URL"] = redisSrv.URL()
	p := start(t, env, "web")
	redisSrv.Stop()
	code, body := get(p.base + "/readyz")
	if code != 503 || !strings.Contains(body, `"queue"`) || strings.Contains(body, `"database"`) {
		t.Fatalf("/readyz with the queue down: %d %s", code, body)
	}
	if code, _ := get(p.base + "/healthz"); code != 200 {
		t.Fatalf("/healthz must stay 200, got %d", code)
	}
	redisSrv.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := get(p.base + "/readyz"); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestBadConfigExitsWithCode2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"DATABASE_URL": "mysql://u@h/db"}, nil, `DATABASE_URL: unsupported scheme "mysql"`},
		{map[string]string{"NEWSLETTER_WORKERS": "lots"}, []string{"worker"}, "NEWSLETTER_WORKERS:"},
		{map[string]string{"NEWSLETTER_DATA_DIR": "/nonexistent-dir-x"}, []string{"web"}, "REDIS_URL: required"},
		{nil, []string{"frobnicate"}, `unknown command "frobnicate"`},
		{map[string]string{"OPERATOR_TIMEZONE": "Mars/Olympus"}, nil, `OPERATOR_TIMEZONE: "Mars/Olympus" is not an IANA time zone name`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			code, _, errOut := runCmd(t, tt.env, tt.args...)
			if code != 2 {
				t.Fatalf("exit code %d, want 2 (stderr %q)", code, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Fatalf("stderr %q lacks %q", errOut, tt.want)
			}
		})
	}
}
