package mail

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
)

// fakeSMTP is a small SMTP server for tests. Replies to RCPT and to the end
// of the message come from the rcpt and eom functions; everything else is
// accepted.
type fakeSMTP struct {
	ln net.Listener

	pipelining  bool // advertise PIPELINING
	lenientData bool // answer DATA with 354 even without a recipient

	mu       sync.Mutex
	rcpt     func(n int, addr string) string // reply to the n-th RCPT (from 0)
	eom      func(n int, msg []byte) string  // reply to the n-th message content
	nRcpt    int
	nEOM     int
	conns    int
	open     map[net.Conn]bool
	received [][]byte
	envelope []string // "from -> to" per accepted message
	wg       sync.WaitGroup
}

// newFakeSMTP starts a server on 127.0.0.1 and stops it when the test ends.
func newFakeSMTP(t testing.TB) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeSMTP{ln: ln, open: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		s.dropAll()
		s.wg.Wait()
	})
	return s
}

// url returns the SMTP URL of the server.
func (s *fakeSMTP) url() string { return "smtp://" + s.ln.Addr().String() + "?tls=none" }

// stats returns the number of connections accepted and messages stored.
func (s *fakeSMTP) stats() (conns, msgs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, len(s.received)
}

// dropAll closes every open connection, as a server timing out idle clients would.
func (s *fakeSMTP) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.open {
		_ = c.Close()
	}
}

func (s *fakeSMTP) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns++
		s.open[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.open, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}

func (s *fakeSMTP) session(c net.Conn) {
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	reply := func(lines ...string) bool {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		return w.Flush() == nil
	}
	if !reply("220 fake.test ESMTP") {
		return
	}
	var from, to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(line)
		if i := strings.IndexByte(verb, ' '); i >= 0 {
			verb = verb[:i]
		}
		if i := strings.IndexByte(verb, ':'); i >= 0 {
			verb = verb[:i]
		}
		switch verb {
		case "EHLO":
			if s.pipelining {
				reply("250-fake.test", "250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250 SIZE 10000000")
			} else {
				reply("250-fake.test", "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250 SIZE 10000000")
			}
		case "HELO", "NOOP":
			reply("250 2.0.0 OK")
		case "RSET":
			from, to = "", ""
			reply("250 2.0.0 OK")
		case "MAIL":
			from, _, _ = strings.Cut(line[len("MAIL FROM:"):], " ")
			reply("250 2.1.0 OK")
		case "RCPT":
			addr := line[len("RCPT TO:"):]
			s.mu.Lock()
			n := s.nRcpt
			s.nRcpt++
			f := s.rcpt
			s.mu.Unlock()
			ans := "250 2.1.5 OK"
			if f != nil {
				ans = f(n, addr)
			}
			if strings.HasPrefix(ans, "250") {
				to = addr
			}
			reply(ans)
		case "DATA":
			if to == "" && !s.lenientData {
				reply("503 5.5.1 RCPT first")
				continue
			}
			reply("354 go ahead")
			var msg bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(strings.TrimPrefix(l, "."))
			}
			s.mu.Lock()
			n := s.nEOM
			s.nEOM++
			f := s.eom
			s.mu.Unlock()
			ans := "250 2.0.0 queued"
			if f != nil {
				ans = f(n, msg.Bytes())
			}
			if to == "" {
				ans = "554 5.5.1 no valid recipients"
			}
			if strings.HasPrefix(ans, "250") {
				s.mu.Lock()
				s.received = append(s.received, msg.Bytes())
				s.envelope = append(s.envelope, from+" -> "+to)
				s.mu.Unlock()
			}
			from, to = "", ""
			if !reply(ans) {
				return
			}
			if strings.HasPrefix(ans, "421") {
				return
			}
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 unknown command")
		}
	}
}
