package mail

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
	"golang.org/x/time/rate"
)

// TLS modes, as written in the tls= parameter of SMTP_URL.
const (
	// TLSStartTLS connects in plain text and requires STARTTLS.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone never encrypts (a local relay or a test server).
	TLSNone TLSMode = "none"
)

// SMTPConfig configures an SMTPTransport.
type SMTPConfig struct {
	// URL is SMTP_URL; see ParseSMTPURL.
	URL string
	// RatePerSecond caps messages per second across all Send calls of the
	// transport; 0 means unlimited.
	RatePerSecond float64
	// Timeout bounds connecting and each message's exchange; 0 means 30s.
	Timeout time.Duration
	// DKIM signs every message when not nil.
	DKIM *DKIMSigner
	// HeloName is the name sent in EHLO; empty means the host name.
	HeloName string
	// MaxConns is the number of connections kept to the server, and so the
	// number of batches sent at once; 0 means 4.
	MaxConns int
	// IdleTimeout closes connections unused for this long; 0 means 30s.
	IdleTimeout time.Duration
	// TLSConfig overrides the TLS settings (for a private CA, say); nil
	// means the system roots, TLS 1.2 or later, and the URL's host as
	// server name.
	TLSConfig *tls.Config
}

// SMTPTransport sends messages over SMTP with go-mail. It keeps up to
// MaxConns connections open and reuses them across batches; each Send uses
// one connection for its whole batch, so concurrent Send calls run in
// parallel. A broken connection is redialled, and a pooled connection that
// the server closed while idle is replaced without failing the message.
// Messages are built with Build (DKIM-signed when configured) and sent as
// those exact bytes.
type SMTPTransport struct {
	ep          SMTPEndpoint
	timeout     time.Duration
	idleTimeout time.Duration
	helo        string
	dkim        *DKIMSigner
	tlsConfig   *tls.Config
	limiter     *rate.Limiter
	slots       chan struct{}

	mu         sync.Mutex
	idle       []*smtpConn
	closed     bool
	sweepArmed bool
}

// smtpConn is one SMTP session.
type smtpConn struct {
	client   *smtp.Client
	netConn  net.Conn
	lastUsed time.Time
	broken   bool

	pipelining bool // the server offers PIPELINING
	smtputf8   bool // the server offers SMTPUTF8
}

// NewSMTP returns a transport for cfg. It does not connect: the first Send
// does.
func NewSMTP(cfg SMTPConfig) (*SMTPTransport, error) {
	ep, err := ParseSMTPURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	t := &SMTPTransport{
		ep:          ep,
		timeout:     cfg.Timeout,
		idleTimeout: cfg.IdleTimeout,
		helo:        cfg.HeloName,
		dkim:        cfg.DKIM,
	}
	if t.timeout <= 0 {
		t.timeout = 30 * time.Second
	}
	if t.idleTimeout <= 0 {
		t.idleTimeout = 30 * time.Second
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = 4
	}
	t.slots = make(chan struct{}, n)
	if cfg.TLSConfig != nil {
		t.tlsConfig = cfg.TLSConfig.Clone()
	} else {
		t.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if t.tlsConfig.ServerName == "" {
		t.tlsConfig.ServerName = ep.Host
	}
	if cfg.RatePerSecond < 0 {
		return nil, errors.New("SMTP rate must not be negative")
	}
	if cfg.RatePerSecond > 0 {
		burst := int(cfg.RatePerSecond / 10) // at most 100ms worth at once
		if burst < 1 {
			burst = 1
		}
		t.limiter = rate.NewLimiter(rate.Limit(cfg.RatePerSecond), burst)
	}
	return t, nil
}

// Endpoint returns the parsed SMTP URL.
func (t *SMTPTransport) Endpoint() SMTPEndpoint { return t.ep }

// Send sends msgs over one connection and returns one Result per message.
// A message Build rejects gets a Permanent result and does not stop the
// batch; when the context ends, the messages not yet sent get Temporary
// results carrying the context's error.
func (t *SMTPTransport) Send(ctx context.Context, msgs []*Message) []Result {
	results := make([]Result, len(msgs))
	if len(msgs) == 0 {
		return results
	}
	select {
	case t.slots <- struct{}{}:
	case <-ctx.Done():
		fillResults(results, 0, temporaryResult(fmt.Errorf("smtp: %w", ctx.Err())))
		return results
	}
	c, err := t.takeIdle()
	if err != nil {
		<-t.slots
		fillResults(results, 0, temporaryResult(err))
		return results
	}
	defer func() { t.release(c) }()

	pooled := c != nil // not yet used in this call: the server may have closed it
	var stopCancel func() bool
	watch := func() {
		if stopCancel != nil || c == nil {
			return
		}
		nc := c.netConn
		stopCancel = context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	}
	unwatch := func() {
		if stopCancel != nil {
			if !stopCancel() && c != nil {
				c.broken = true // the deadline was forced: the session state is unknown
			}
			stopCancel = nil
		}
	}
	defer unwatch()
	watch()

	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			fillResults(results[i:], 0, temporaryResult(fmt.Errorf("smtp: %w", err)))
			break
		}
		raw, env, err := build(m, t.dkim, time.Now())
		if err != nil {
			results[i] = Classify(err)
			continue
		}
		if t.limiter != nil {
			if err := t.limiter.Wait(ctx); err != nil {
				fillResults(results[i:], 0, temporaryResult(fmt.Errorf("smtp rate limit: %w", err)))
				break
			}
		}
		for {
			if c == nil {
				c, err = t.dial(ctx)
				if err != nil {
					fillResults(results[i:], 0, temporaryResult(err))
					return results
				}
				pooled = false
				watch()
			}
			res, stale := c.deliver(env.from, env.to, raw, t.timeout)
			retry := stale && pooled
			pooled = false
			if c.broken {
				unwatch()
				go c.quit()
				c = nil
			}
			if retry {
				continue // the idle connection had died before this message; nothing was sent
			}
			if res.Temporary && ctx.Err() != nil {
				res = temporaryResult(fmt.Errorf("smtp: %w", ctx.Err()))
			}
			results[i] = res
			break
		}
	}
	return results
}

// deliver sends one message on the session. stale reports a failure of the
// first command that was not an SMTP reply: the connection was dead before
// anything was sent, so the message may be sent again on a new one.
//
// The transaction is written straight to the session's textproto.Conn: with
// PIPELINING (RFC 2920) MAIL, RCPT and DATA go out in one write, and the
// content is dot-stuffed in large chunks, so that the bytes on the wire are
// exactly raw (and its DKIM signature holds).
func (c *smtpConn) deliver(from, to string, raw []byte, timeout time.Duration) (res Result, stale bool) {
	if err := c.netConn.SetDeadline(time.Now().Add(timeout)); err != nil {
		c.broken = true
		return temporaryResult(fmt.Errorf("smtp: %w", err)), true
	}
	mailCmd := "MAIL FROM:<" + from + ">"
	if c.smtputf8 && (!isASCII(from) || !isASCII(to)) {
		mailCmd += " SMTPUTF8"
	}
	rcptCmd := "RCPT TO:<" + to + ">"
	text := c.client.Text
	if c.pipelining {
		w := text.W
		_, _ = w.WriteString(mailCmd)
		_, _ = w.WriteString("\r\n")
		_, _ = w.WriteString(rcptCmd)
		_, _ = w.WriteString("\r\nDATA\r\n")
		if err := w.Flush(); err != nil {
			return c.fail("MAIL", err, true)
		}
		_, _, mailErr := text.ReadResponse(25)
		if mailErr != nil && !isReply(mailErr) {
			return c.fail("MAIL", mailErr, true)
		}
		_, _, rcptErr := text.ReadResponse(25)
		if rcptErr != nil && !isReply(rcptErr) {
			return c.fail("RCPT", rcptErr, false)
		}
		_, _, dataErr := text.ReadResponse(354)
		if dataErr != nil && !isReply(dataErr) {
			return c.fail("DATA", dataErr, false)
		}
		if mailErr != nil || rcptErr != nil {
			if dataErr == nil {
				// The server took DATA without a valid recipient: end the
				// empty message; its reply does not matter.
				_, _ = w.WriteString(".\r\n")
				if err := w.Flush(); err != nil {
					c.broken = true
				} else if _, _, err := text.ReadResponse(0); err != nil && !isReply(err) {
					c.broken = true
				}
			}
			if mailErr != nil {
				return c.fail("MAIL", mailErr, false)
			}
			return c.fail("RCPT", rcptErr, false)
		}
		if dataErr != nil {
			return c.fail("DATA", dataErr, false)
		}
	} else {
		if err := c.cmd(25, mailCmd); err != nil {
			return c.fail("MAIL", err, true)
		}
		if err := c.cmd(25, rcptCmd); err != nil {
			return c.fail("RCPT", err, false)
		}
		if err := c.cmd(354, "DATA"); err != nil {
			return c.fail("DATA", err, false)
		}
	}
	if err := writeDotStuffed(text.W, raw); err != nil {
		c.broken = true
		return temporaryResult(fmt.Errorf("smtp message content: %w", err)), false
	}
	if _, _, err := text.ReadResponse(25); err != nil {
		return c.fail("EOM", err, false)
	}
	c.lastUsed = time.Now()
	return Result{}, false
}

// cmd sends one command line and reads the reply, which must have code
// expect (or start with it, for one or two digits).
func (c *smtpConn) cmd(expect int, line string) error {
	w := c.client.Text.W
	_, _ = w.WriteString(line)
	_, _ = w.WriteString("\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	_, _, err := c.client.Text.ReadResponse(expect)
	return err
}

// fail turns an error of one SMTP step into a Result and leaves the session
// ready for the next message, or marks it broken.
func (c *smtpConn) fail(cmd string, err error, first bool) (Result, bool) {
	var te *textproto.Error
	if !errors.As(err, &te) {
		// No reply, or a garbled one: the session cannot be trusted.
		c.broken = true
		return temporaryResult(fmt.Errorf("smtp %s: %w", cmd, err)), first
	}
	res := Classify(newSMTPError(cmd, te.Code, te.Msg))
	switch {
	case te.Code == 421:
		c.broken = true // the server is closing the session
	case cmd != "EOM":
		if err := c.cmd(250, "RSET"); err != nil {
			c.broken = true
		}
	}
	c.lastUsed = time.Now()
	return res, false
}

// isReply reports whether err is an SMTP reply with an unexpected code
// (rather than a network or protocol failure).
func isReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te)
}

// writeDotStuffed writes raw as DATA content (RFC 5321 section 4.5.2): a dot
// is doubled at the start of every line, and CRLF.CRLF ends it. raw must use
// CRLF line breaks only, as Build's output does.
func writeDotStuffed(w *bufio.Writer, raw []byte) error {
	if len(raw) > 0 && raw[0] == '.' {
		_ = w.WriteByte('.')
	}
	for {
		i := bytes.Index(raw, []byte("\n."))
		if i < 0 {
			break
		}
		_, _ = w.Write(raw[:i+1])
		_ = w.WriteByte('.')
		raw = raw[i+1:]
	}
	_, _ = w.Write(raw)
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		_, _ = w.WriteString("\r\n")
	}
	_, _ = w.WriteString(".\r\n")
	return w.Flush()
}

// isASCII reports whether s is 7-bit.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// dial opens and sets up a session: TLS as configured, EHLO, AUTH.
func (t *SMTPTransport) dial(ctx context.Context) (*smtpConn, error) {
	sc := &smtpConn{}
	dialer := &net.Dialer{Timeout: t.timeout, KeepAlive: 30 * time.Second}
	dialFn := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if t.ep.TLS == TLSImplicit {
			tc := tls.Client(conn, t.tlsConfig)
			if err := tc.HandshakeContext(ctx); err != nil {
				_ = conn.Close()
				return nil, err
			}
			conn = tc
		}
		sc.netConn = conn
		return conn, nil
	}
	opts := []gomail.Option{
		gomail.WithPort(t.ep.Port),
		gomail.WithTimeout(t.timeout),
		gomail.WithTLSConfig(t.tlsConfig),
		gomail.WithDialContextFunc(dialFn),
	}
	switch t.ep.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL()) // the dial function does the handshake
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if t.helo != "" {
		opts = append(opts, gomail.WithHELO(t.helo))
	}
	if t.ep.Username != "" {
		opts = append(opts,
			gomail.WithUsername(t.ep.Username), gomail.WithPassword(t.ep.Password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256PLUS, gomail.SMTPAuthSCRAMSHA256,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin, gomail.SMTPAuthCramMD5))
	}
	client, err := gomail.NewClient(t.ep.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	sc.client, err = client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		if sc.netConn != nil {
			_ = sc.netConn.Close()
		}
		return nil, fmt.Errorf("smtp connect to %s:%d: %w", t.ep.Host, t.ep.Port, err)
	}
	sc.pipelining, _ = sc.client.Extension("PIPELINING")
	sc.smtputf8, _ = sc.client.Extension("SMTPUTF8")
	sc.lastUsed = time.Now()
	return sc, nil
}

// takeIdle returns the most recently used idle connection, or nil.
func (t *SMTPTransport) takeIdle() (*smtpConn, error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, errClosed
	}
	for len(t.idle) > 0 {
		c := t.idle[len(t.idle)-1]
		t.idle = t.idle[:len(t.idle)-1]
		if now.Sub(c.lastUsed) < t.idleTimeout {
			return c, nil
		}
		go c.quit()
	}
	return nil, nil
}

// release returns a connection to the pool (or closes it) and frees the
// caller's slot.
func (t *SMTPTransport) release(c *smtpConn) {
	defer func() { <-t.slots }()
	if c == nil {
		return
	}
	t.mu.Lock()
	if c.broken || t.closed {
		t.mu.Unlock()
		go c.quit()
		return
	}
	c.lastUsed = time.Now()
	t.idle = append(t.idle, c)
	if !t.sweepArmed {
		t.sweepArmed = true
		time.AfterFunc(t.idleTimeout, t.sweep)
	}
	t.mu.Unlock()
}

// sweep closes connections idle for longer than the idle timeout.
func (t *SMTPTransport) sweep() {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepArmed = false
	keep := t.idle[:0]
	var oldest time.Time
	for _, c := range t.idle {
		if now.Sub(c.lastUsed) >= t.idleTimeout {
			go c.quit()
			continue
		}
		if oldest.IsZero() || c.lastUsed.Before(oldest) {
			oldest = c.lastUsed
		}
		keep = append(keep, c)
	}
	clear(t.idle[len(keep):])
	t.idle = keep
	if len(keep) > 0 && !t.closed {
		t.sweepArmed = true
		time.AfterFunc(oldest.Add(t.idleTimeout).Sub(now), t.sweep)
	}
}

// Close closes the idle connections and makes later Send calls fail;
// connections in use are closed when their Send returns.
func (t *SMTPTransport) Close() error {
	t.mu.Lock()
	t.closed = true
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range idle {
		wg.Go(c.quit)
	}
	wg.Wait()
	return nil
}

// quit ends the session politely, without waiting long.
func (c *smtpConn) quit() {
	_ = c.netConn.SetDeadline(time.Now().Add(2 * time.Second))
	if !c.broken {
		_ = c.client.Quit()
	}
	_ = c.netConn.Close()
}
