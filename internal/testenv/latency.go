package testenv

import (
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// LatencyProxy is a TCP proxy on loopback that holds every piece of data a
// client sends for a random time between Min and Max before passing it on
// (in order), so each round trip to the server behind it takes that much
// longer: a database far away or under load. Answers pass at once.
type LatencyProxy struct {
	Min, Max time.Duration

	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
}

// StartLatencyProxy proxies to target (host:port) with a delay between min
// and max; it stops when the test ends.
func StartLatencyProxy(t testing.TB, target string, min, max time.Duration) *LatencyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("latency proxy: %v", err)
	}
	p := &LatencyProxy{Min: min, Max: max, ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Addr is the host:port clients connect to.
func (p *LatencyProxy) Addr() string { return p.ln.Addr().String() }

// URL returns rawURL (a database or Redis URL) with its host:port replaced
// by the proxy's.
func (p *LatencyProxy) URL(t testing.TB, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("latency proxy: %v", err)
	}
	u.Host = p.Addr()
	return u.String()
}

// Close stops listening and ends every connection.
func (p *LatencyProxy) Close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	p.wg.Wait()
}

// track remembers c for Close, or closes it when the proxy is closed.
func (p *LatencyProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *LatencyProxy) forget(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *LatencyProxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(client) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.forget(client)
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				return
			}
			if !p.track(server) {
				return
			}
			defer p.forget(server)
			var once sync.Once
			stop := func() { once.Do(func() { _ = client.Close(); _ = server.Close() }) }
			var pipes sync.WaitGroup
			pipes.Go(func() { defer stop(); p.delayed(server, client) })
			pipes.Go(func() { defer stop(); _, _ = io.Copy(client, server) })
			pipes.Wait()
		}()
	}
}

// chunk is data read from the client and the time it may go on.
type chunk struct {
	data []byte
	due  time.Time
}

// delayed copies src to dst, each read held for a random delay; a later
// read never overtakes an earlier one.
func (p *LatencyProxy) delayed(dst io.Writer, src io.Reader) {
	queue := make(chan chunk, 1024)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(queue)
		var last time.Time
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				due := time.Now().Add(p.Min + rand.N(p.Max-p.Min+1))
				if due.Before(last) {
					due = last
				}
				last = due
				select {
				case queue <- chunk{data: buf[:n], due: due}:
				case <-done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range queue {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			return
		}
	}
}
