// Package smtpsink is a minimal, fast SMTP server for tests and benchmarks:
// it accepts mail on loopback, counts it (per recipient when asked), can
// keep it, and can answer with chosen replies or hold its answers, so that
// tests can make a client see 4xx and 5xx replies or be stopped between
// messages.
package smtpsink

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Envelope is one received message.
type Envelope struct {
	From string
	To   []string
	// Data is the message content (dot-unstuffed, CRLF line ends) when
	// the server keeps messages; nil otherwise.
	Data []byte
}

// Server is an SMTP sink. Set its fields before Start.
type Server struct {
	// Keep stores every accepted message (see Messages).
	Keep bool
	// CountRecipients counts accepted messages per recipient (see Count).
	CountRecipients bool
	// OnRcpt, when set, chooses the reply to RCPT TO (for example
	// "550 5.1.1 No such user"); "" means "250 2.1.5 OK".
	OnRcpt func(rcpt string) string
	// OnMessage, when set, chooses the reply after the message content
	// (for example "451 4.3.0 Try again later"); "" means accepted. A
	// message counts as accepted only with a 2xx reply.
	OnMessage func(e *Envelope) string

	ln       net.Listener
	addr     string
	accepted atomic.Int64
	wg       sync.WaitGroup

	mu      sync.Mutex
	gate    chan struct{} // closed while not held
	perRcpt map[string]int
	msgs    []Envelope
	conns   map[net.Conn]bool
	closed  bool
}

// Start listens on a free loopback port and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("smtpsink: %w", err)
	}
	s.ln, s.addr = ln, ln.Addr().String()
	s.gate = make(chan struct{})
	close(s.gate)
	s.perRcpt = map[string]int{}
	s.conns = map[net.Conn]bool{}
	s.wg.Add(1)
	go s.serve(ln)
	return nil
}

// GoDown takes the server down as a shutdown does: it answers the message
// in hand, then closes every connection and stops listening (clients get
// "connection refused") until ComeBack.
func (s *Server) GoDown() {
	s.Hold()
	time.Sleep(200 * time.Millisecond) // messages in hand are answered
	s.mu.Lock()
	ln := s.ln
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	_ = ln.Close()
}

// ComeBack listens again on the address it had before GoDown.
func (s *Server) ComeBack() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("smtpsink: listen again: %w", err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go s.serve(ln)
	s.Release()
	return nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.addr }

// URL is an SMTP_URL for the server.
func (s *Server) URL() string { return "smtp://" + s.Addr() + "?tls=none" }

// Accepted is the number of messages accepted so far.
func (s *Server) Accepted() int64 { return s.accepted.Load() }

// Count returns how many messages each recipient got (with
// CountRecipients).
func (s *Server) Count() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.perRcpt))
	for k, v := range s.perRcpt {
		out[k] = v
	}
	return out
}

// Messages returns the kept messages (with Keep).
func (s *Server) Messages() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.msgs...)
}

// Hold makes the server stop answering MAIL FROM: every client waits at the
// start of its next message, with nothing of it accepted, until Release.
func (s *Server) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.gate:
		s.gate = make(chan struct{})
	default:
	}
}

// Release lets held clients go on.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.gate:
	default:
		close(s.gate)
	}
}

// DropConnections closes every open client connection (the server keeps
// listening).
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
}

// Close stops the server and closes its connections.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.Release()
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	err := ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) serve(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			_ = c.Close()
		}()
	}
}

func (s *Server) waitGate() {
	s.mu.Lock()
	g := s.gate
	s.mu.Unlock()
	<-g
}

// session speaks SMTP on one connection. Replies are buffered and flushed
// when the client has sent nothing more (PIPELINING).
func (s *Server) session(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 4<<10)
	reply := func(line string) { _, _ = w.WriteString(line + "\r\n") }
	reply("220 smtpsink ready")
	var env Envelope
	var data bytes.Buffer
	for {
		if r.Buffered() == 0 {
			if w.Flush() != nil {
				return
			}
		}
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(string(line), "\r\n")
		verb := strings.ToUpper(cmd)
		if i := strings.IndexByte(verb, ' '); i >= 0 {
			verb = verb[:i]
		} else if i := strings.IndexByte(verb, ':'); i >= 0 {
			verb = verb[:i]
		}
		switch verb {
		case "EHLO":
			reply("250-smtpsink")
			reply("250-PIPELINING")
			reply("250-8BITMIME")
			reply("250-SMTPUTF8")
			reply("250 SIZE 52428800")
		case "HELO":
			reply("250 smtpsink")
		case "MAIL":
			if r.Buffered() == 0 {
				_ = w.Flush()
			}
			s.waitGate()
			env = Envelope{From: addrOf(cmd)}
			reply("250 2.1.0 OK")
		case "RCPT":
			rcpt := addrOf(cmd)
			ans := ""
			if s.OnRcpt != nil {
				ans = s.OnRcpt(rcpt)
			}
			if ans == "" {
				env.To = append(env.To, rcpt)
				ans = "250 2.1.5 OK"
			}
			reply(ans)
		case "DATA":
			if len(env.To) == 0 {
				reply("554 5.5.1 No valid recipients")
				continue
			}
			reply("354 End data with <CR><LF>.<CR><LF>")
			if w.Flush() != nil {
				return
			}
			data.Reset()
			if err := readData(r, &data, s.Keep || s.OnMessage != nil); err != nil {
				return
			}
			if s.Keep || s.OnMessage != nil {
				env.Data = bytes.Clone(data.Bytes())
			}
			ans := ""
			if s.OnMessage != nil {
				ans = s.OnMessage(&env)
			}
			if ans == "" {
				ans = "250 2.0.0 OK queued"
			}
			if strings.HasPrefix(ans, "2") {
				s.accept(env)
			}
			reply(ans)
			env = Envelope{}
		case "RSET":
			env = Envelope{}
			reply("250 2.0.0 OK")
		case "NOOP":
			reply("250 2.0.0 OK")
		case "QUIT":
			reply("221 2.0.0 Bye")
			_ = w.Flush()
			return
		default:
			reply("502 5.5.2 Command not recognized")
		}
	}
}

func (s *Server) accept(env Envelope) {
	s.accepted.Add(1)
	if !s.Keep && !s.CountRecipients {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.CountRecipients {
		for _, t := range env.To {
			s.perRcpt[strings.ToLower(t)]++
		}
	}
	if s.Keep {
		s.msgs = append(s.msgs, env)
	}
}

// readData reads the DATA content up to the lone dot, unstuffing dots; it
// copies the content to buf only when keep is set.
func readData(r *bufio.Reader, buf *bytes.Buffer, keep bool) error {
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: keep reading it.
			if keep {
				buf.Write(line)
			}
			continue
		}
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 3 && line[0] == '.' && line[1] == '\r' {
			return nil
		}
		if keep {
			if line[0] == '.' {
				line = line[1:]
			}
			buf.Write(line)
		}
	}
}

// addrOf extracts the address between angle brackets of MAIL FROM or
// RCPT TO.
func addrOf(cmd string) string {
	i := strings.IndexByte(cmd, '<')
	j := strings.LastIndexByte(cmd, '>')
	if i < 0 || j < i {
		return ""
	}
	return cmd[i+1 : j]
}
