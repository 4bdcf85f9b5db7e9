package testenv

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelOptions shape a SentinelGroup.
type SentinelOptions struct {
	// Replicas is the number of replicas of the master (at least 1).
	Replicas int
	// Sentinels is the number of Sentinels (1 to 3); a majority of them
	// must agree that the master is down.
	Sentinels int
	// Password, when set, is required by the Redis servers (requirepass,
	// masterauth; the Sentinels use it too).
	Password string
	// SentinelPassword, when set, is required by the Sentinels themselves.
	SentinelPassword string
	// TLS makes every server and Sentinel speak TLS only, with a
	// certificate of a throwaway authority (see CA).
	TLS bool
}

// SentinelGroup is a Redis master, its replicas and the Sentinels that
// watch them, each a redis-server process of the test's own on a free
// loopback port, with its files in a temporary folder. Fault tests kill
// the master and watch a replica take over.
type SentinelGroup struct {
	// MasterName is the name the Sentinels know the group by.
	MasterName string
	opt        SentinelOptions
	dir        string
	tls        TLSFiles
	t          testing.TB

	mu        sync.Mutex
	servers   map[string]*exec.Cmd // by host:port; nil once killed
	sentinels []string             // host:port
	sentCmds  []*exec.Cmd
}

// StartSentinelGroup starts a master, its replicas and the Sentinels, and
// waits until the Sentinels know every replica and each other. Everything
// is stopped when the test ends.
func StartSentinelGroup(t testing.TB, opt SentinelOptions) *SentinelGroup {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		skipOrFail(t, "redis-server not installed")
	}
	opt.Replicas = max(opt.Replicas, 1)
	opt.Sentinels = min(max(opt.Sentinels, 1), 3)
	dir, err := os.MkdirTemp("", "nl-sentinel-")
	if err != nil {
		t.Fatal(err)
	}
	g := &SentinelGroup{MasterName: "newsletter-master", opt: opt, dir: dir, t: t, servers: map[string]*exec.Cmd{}}
	t.Cleanup(func() {
		g.stopAll()
		if t.Failed() {
			g.logTails()
		}
		os.RemoveAll(dir)
	})
	if opt.TLS {
		g.tls = NewTLSFiles(t, dir)
	}
	master := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	g.startServer(master, "")
	for i := 0; i < opt.Replicas; i++ {
		g.startServer(fmt.Sprintf("127.0.0.1:%d", FreePort(t)), master)
	}
	g.waitReplicasOnline(master, opt.Replicas)
	quorum := opt.Sentinels/2 + 1
	for i := 0; i < opt.Sentinels; i++ {
		g.startSentinel(fmt.Sprintf("127.0.0.1:%d", FreePort(t)), master, quorum)
	}
	g.WaitHealthy(opt.Replicas)
	return g
}

// URL is the REDIS_URL of the group: the Sentinels and the master name.
func (g *SentinelGroup) URL() string {
	scheme := "redis-sentinel"
	if g.opt.TLS {
		scheme = "rediss-sentinel"
	}
	auth := ""
	if g.opt.Password != "" {
		auth = ":" + url.QueryEscape(g.opt.Password) + "@"
	}
	u := fmt.Sprintf("%s://%s%s/%s/0", scheme, auth, strings.Join(g.sentinels, ","), g.MasterName)
	if g.opt.SentinelPassword != "" {
		u += "?sentinel_password=" + url.QueryEscape(g.opt.SentinelPassword)
	}
	return u
}

// CA is the file of the authority that signed the servers' certificate
// (TLS groups only): give it to the product with SSL_CERT_FILE.
func (g *SentinelGroup) CA() string { return g.tls.CA }

// MasterAddr is the master's host:port as a live Sentinel names it.
func (g *SentinelGroup) MasterAddr() string {
	g.t.Helper()
	for _, s := range g.sentinels {
		if addr, err := g.askMaster(s); err == nil {
			return addr
		}
	}
	g.t.Fatal("no Sentinel answers")
	return ""
}

// Sentinels are the Sentinels' host:ports.
func (g *SentinelGroup) Sentinels() []string { return append([]string(nil), g.sentinels...) }

// ReplicaAddrs are the host:ports of the replicas a live Sentinel lists
// with their link to the master up.
func (g *SentinelGroup) ReplicaAddrs() []string {
	g.t.Helper()
	for _, s := range g.sentinels {
		c := g.sentinelClient(s)
		rs, err := c.Replicas(context.Background(), g.MasterName).Result()
		c.Close()
		if err != nil {
			continue
		}
		var out []string
		for _, r := range rs {
			if r["flags"] == "slave" && r["master-link-status"] == "ok" {
				out = append(out, net.JoinHostPort(r["ip"], r["port"]))
			}
		}
		return out
	}
	g.t.Fatal("no Sentinel answers")
	return nil
}

// Server is a client of one server of the group, with its password and
// TLS settings; it is closed when the test ends.
func (g *SentinelGroup) Server(addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: g.opt.Password, TLSConfig: g.tlsConfig(), MaxRetries: -1})
	g.t.Cleanup(func() { c.Close() })
	return c
}

// KillMaster kills the master's process (SIGKILL: no goodbye, nothing
// flushed) and returns its address.
func (g *SentinelGroup) KillMaster() string {
	g.t.Helper()
	addr := g.MasterAddr()
	g.mu.Lock()
	cmd := g.servers[addr]
	g.servers[addr] = nil
	g.mu.Unlock()
	if cmd == nil {
		g.t.Fatalf("the master %s is not running", addr)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return addr
}

// CutReplication freezes the replicas (SIGSTOP) and closes their links on
// the master: what the master acknowledges from then on exists on the
// master only, as in the moment before an asynchronous replica catches
// up. The returned function lets the replicas run again.
func (g *SentinelGroup) CutReplication() (resume func()) {
	g.t.Helper()
	master := g.MasterAddr()
	g.mu.Lock()
	var frozen []*exec.Cmd
	for addr, cmd := range g.servers {
		if addr != master && cmd != nil {
			frozen = append(frozen, cmd)
		}
	}
	g.mu.Unlock()
	for _, cmd := range frozen {
		if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			g.t.Fatal(err)
		}
	}
	if err := g.Server(master).Do(context.Background(), "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		g.t.Fatalf("close the replicas' links: %v", err)
	}
	return func() {
		for _, cmd := range frozen {
			_ = cmd.Process.Signal(syscall.SIGCONT)
		}
	}
}

// WaitForFailover waits until every Sentinel names a master other than old
// and that server says it is the master; it returns the new master.
func (g *SentinelGroup) WaitForFailover(old string, timeout time.Duration) string {
	g.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if addr, ok := g.failedOver(old); ok {
			return addr
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("no failover from %s within %v", old, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (g *SentinelGroup) failedOver(old string) (string, bool) {
	var addr string
	for _, s := range g.sentinels {
		a, err := g.askMaster(s)
		if err != nil || a == old || (addr != "" && a != addr) {
			return "", false
		}
		addr = a
	}
	role, err := g.info(addr, "role")
	return addr, err == nil && role == "master"
}

// RestartAsReplica starts the server at addr again (empty, as after a
// crash without persistence) as a replica of the current master, and
// waits until the group is whole again: every Sentinel sees every replica
// in sync and able to take over.
func (g *SentinelGroup) RestartAsReplica(addr string) {
	g.t.Helper()
	master := g.MasterAddr()
	g.startServer(addr, master)
	g.waitReplicasOnline(master, g.opt.Replicas)
	g.WaitHealthy(g.opt.Replicas)
}

// WaitHealthy waits until every Sentinel knows the master, replicas
// replicas with their link to the master up, and the other Sentinels.
func (g *SentinelGroup) WaitHealthy(replicas int) {
	g.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !g.healthy(replicas) {
		if time.Now().After(deadline) {
			g.t.Fatalf("the Sentinels did not see a whole group within 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (g *SentinelGroup) healthy(replicas int) bool {
	ctx := context.Background()
	for _, s := range g.sentinels {
		c := g.sentinelClient(s)
		m, err := c.Master(ctx, g.MasterName).Result()
		if err != nil || strings.Contains(m["flags"], "down") ||
			m["num-other-sentinels"] != strconv.Itoa(len(g.sentinels)-1) {
			c.Close()
			return false
		}
		rs, err := c.Replicas(ctx, g.MasterName).Result()
		c.Close()
		if err != nil {
			return false
		}
		up := 0
		for _, r := range rs {
			if r["flags"] == "slave" && r["master-link-status"] == "ok" {
				up++
			}
		}
		if up < replicas {
			return false
		}
	}
	return true
}

func (g *SentinelGroup) askMaster(sentinel string) (string, error) {
	c := g.sentinelClient(sentinel)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hp, err := c.GetMasterAddrByName(ctx, g.MasterName).Result()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}

// info reads one field of a server's INFO replication.
func (g *SentinelGroup) info(addr, field string) (string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: g.opt.Password, TLSConfig: g.tlsConfig(), MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return v, nil
		}
	}
	return "", fmt.Errorf("no %s in INFO", field)
}

func (g *SentinelGroup) waitReplicasOnline(master string, n int) {
	g.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		online := 0
		for i := 0; i < n; i++ {
			if v, err := g.info(master, "slave"+strconv.Itoa(i)); err == nil && strings.Contains(v, "state=online") {
				online++
			}
		}
		if online == n {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("%d of %d replicas of %s in sync after 60s", online, n, master)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (g *SentinelGroup) sentinelClient(addr string) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: addr, Password: g.opt.SentinelPassword, TLSConfig: g.tlsConfig(),
		MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
}

func (g *SentinelGroup) tlsConfig() *tls.Config {
	if !g.opt.TLS {
		return nil
	}
	return &tls.Config{RootCAs: g.tls.Pool(g.t), MinVersion: tls.VersionTLS12}
}

// listen is the configuration of where a process listens: a plain port,
// or a TLS port only (with TLS also to the servers it connects to).
func (g *SentinelGroup) listen(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if !g.opt.TLS {
		return fmt.Sprintf("bind %s\nport %s\n", host, port)
	}
	return fmt.Sprintf("bind %s\nport 0\ntls-port %s\ntls-cert-file %s\ntls-key-file %s\ntls-ca-cert-file %s\n"+
		"tls-auth-clients no\ntls-replication yes\n", host, port, g.tls.Cert, g.tls.Key, g.tls.CA)
}

func (g *SentinelGroup) startServer(addr, replicaOf string) {
	g.t.Helper()
	name := "server-" + strings.ReplaceAll(addr, ":", "-")
	conf := g.listen(addr) + "save \"\"\nappendonly no\nrepl-diskless-sync yes\nrepl-diskless-sync-delay 0\n" +
		"dir " + g.dir + "\nlogfile " + filepath.Join(g.dir, name+".log") + "\n"
	if g.opt.Password != "" {
		conf += fmt.Sprintf("requirepass %q\nmasterauth %q\n", g.opt.Password, g.opt.Password)
	}
	if replicaOf != "" {
		host, port, _ := net.SplitHostPort(replicaOf)
		conf += fmt.Sprintf("replicaof %s %s\n", host, port)
	}
	cmd := g.run(name, conf, addr)
	g.mu.Lock()
	g.servers[addr] = cmd
	g.mu.Unlock()
}

func (g *SentinelGroup) startSentinel(addr, master string, quorum int) {
	g.t.Helper()
	name := "sentinel-" + strings.ReplaceAll(addr, ":", "-")
	host, port, _ := net.SplitHostPort(master)
	conf := g.listen(addr) + "dir " + g.dir + "\nlogfile " + filepath.Join(g.dir, name+".log") + "\n" +
		fmt.Sprintf("sentinel monitor %s %s %s %d\n", g.MasterName, host, port, quorum) +
		fmt.Sprintf("sentinel down-after-milliseconds %s 2000\nsentinel failover-timeout %s 6000\nsentinel parallel-syncs %s 1\n",
			g.MasterName, g.MasterName, g.MasterName)
	if g.opt.Password != "" {
		conf += fmt.Sprintf("sentinel auth-pass %s %q\n", g.MasterName, g.opt.Password)
	}
	if g.opt.SentinelPassword != "" {
		conf += fmt.Sprintf("requirepass %q\nsentinel sentinel-pass %q\n", g.opt.SentinelPassword, g.opt.SentinelPassword)
	}
	cmd := g.run(name, conf, addr, "--sentinel")
	g.mu.Lock()
	g.sentinels = append(g.sentinels, addr)
	g.sentCmds = append(g.sentCmds, cmd)
	g.mu.Unlock()
}

// run writes a configuration file (Sentinel rewrites its own) and starts
// redis-server on it, waiting until addr accepts connections.
func (g *SentinelGroup) run(name, conf, addr string, args ...string) *exec.Cmd {
	g.t.Helper()
	path := filepath.Join(g.dir, name+".conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		g.t.Fatal(err)
	}
	cmd := exec.Command("redis-server", append([]string{path}, args...)...)
	if err := cmd.Start(); err != nil {
		g.t.Fatalf("start %s: %v", name, err)
	}
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd
		}
		if i == 200 {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			log, _ := os.ReadFile(filepath.Join(g.dir, name+".log"))
			g.t.Fatalf("%s did not listen on %s within 10s:\n%s", name, addr, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (g *SentinelGroup) stopAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, cmd := range append(g.sentCmds, mapValues(g.servers)...) {
		if cmd != nil && cmd.Process != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
}

func mapValues(m map[string]*exec.Cmd) []*exec.Cmd {
	out := make([]*exec.Cmd, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	return out
}

// logTails shows the end of every process's log, for a failed test.
func (g *SentinelGroup) logTails() {
	logs, _ := filepath.Glob(filepath.Join(g.dir, "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		g.t.Logf("%s:\n%s", filepath.Base(l), b)
	}
}
