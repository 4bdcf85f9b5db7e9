package inbound

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Fetched is one message read from the mailbox.
type Fetched struct {
	// UID identifies the message in the folder (with the folder's
	// UIDVALIDITY, see Mailbox.UIDValidity).
	UID uint32
	// Raw is the whole message as the server stores it.
	Raw []byte
	// Received is the server's INTERNALDATE: when the message arrived.
	Received time.Time
}

// Mailbox is a connection to one IMAP folder that receives emailed
// requests. It reads every message present in the folder (processed mail is
// moved out), moves messages to other folders, and waits for new mail with
// IDLE where the server offers it.
//
// A Mailbox is not safe for concurrent use. After an error other than a
// context cancellation during Wait, close it and dial again.
type Mailbox struct {
	c           *imapclient.Client
	conn        net.Conn
	folder      string
	uidValidity uint32
	idle        bool
	arrived     chan struct{}
	folders     map[string]bool
	closed      bool
}

type tlsMode int

const (
	tlsImplicit tlsMode = iota
	tlsStartTLS
	tlsNone
)

type imapConfig struct {
	addr, host, user, pass, folder string
	mode                           tlsMode
}

// ParseIMAPURL validates an IMAP_URL value without connecting. The error
// names what is wrong and never repeats the URL, the user or the password.
//
// Accepted forms:
//
//	imaps://user:pass@host[:993]/FOLDER   implicit TLS (the default port is 993)
//	imap://user:pass@host[:143]/FOLDER    STARTTLS, required; plain text only on a
//	                                      loopback host (127.0.0.0/8, ::1, localhost)
//
// The folder defaults to INBOX; user and password are percent-decoded (write
// "@" in a user name as %40). The query parameter tls=starttls|tls|none
// overrides the transport: tls=none allows a plain-text login on any host
// and is meant for a trusted private network only.
func ParseIMAPURL(raw string) error {
	_, err := parseIMAPURL(raw)
	return err
}

func parseIMAPURL(raw string) (*imapConfig, error) {
	const p = "inbound: IMAP URL: "
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New(p + "empty")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New(p + "not a valid URL (percent-encode special characters in the user and password)")
	}
	cfg := &imapConfig{}
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "imaps":
		cfg.mode, port = tlsImplicit, "993"
	case "imap":
		cfg.mode, port = tlsStartTLS, "143"
	case "":
		return nil, errors.New(p + "missing scheme: use imaps:// or imap://")
	default:
		return nil, errors.New(p + "unsupported scheme: use imaps:// or imap://")
	}
	cfg.host = u.Hostname()
	if cfg.host == "" {
		return nil, errors.New(p + "missing host")
	}
	if ps := u.Port(); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New(p + "invalid port")
		}
		port = ps
	}
	cfg.addr = net.JoinHostPort(cfg.host, port)
	if u.User == nil || u.User.Username() == "" {
		return nil, errors.New(p + "missing user name (imaps://user:password@host/INBOX)")
	}
	cfg.user = u.User.Username()
	pass, ok := u.User.Password()
	if !ok {
		return nil, errors.New(p + "missing password (imaps://user:password@host/INBOX)")
	}
	cfg.pass = pass
	cfg.folder = strings.Trim(u.Path, "/")
	if cfg.folder == "" {
		cfg.folder = "INBOX"
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return nil, errors.New(p + "unknown parameter " + strconv.Quote(k) + " (only tls=starttls|tls|none)")
		}
	}
	switch strings.ToLower(q.Get("tls")) {
	case "":
		if cfg.mode == tlsStartTLS && isLoopback(cfg.host) {
			cfg.mode = tlsNone
		}
	case "tls":
		cfg.mode = tlsImplicit
	case "starttls":
		cfg.mode = tlsStartTLS
	case "none":
		cfg.mode = tlsNone
	default:
		return nil, errors.New(p + "tls must be starttls, tls or none")
	}
	return cfg, nil
}

// MailboxIdentity names the mailbox an IMAP_URL value reads, whatever its
// spelling: the host (lower case), the port (the scheme's default when
// absent), the user and the folder (INBOX in any case is INBOX). The
// password, the transport parameter and the URL's other details are not
// part of it, so two spellings of one mailbox, or one mailbox before and
// after a password change, have one identity. It holds the user name: hash
// it before it goes anywhere a person could read it.
func MailboxIdentity(rawURL string) (string, error) {
	cfg, err := parseIMAPURL(rawURL)
	if err != nil {
		return "", err
	}
	host, port, err := net.SplitHostPort(cfg.addr)
	if err != nil {
		return "", fmt.Errorf("inbound: IMAP URL: %w", err)
	}
	folder := cfg.folder
	if strings.EqualFold(folder, "INBOX") {
		folder = "INBOX"
	}
	return strings.Join([]string{strings.ToLower(strings.TrimSuffix(host, ".")), port, cfg.user, folder}, "\x00"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DialMailbox connects to the server of rawURL (see ParseIMAPURL), logs in
// and selects the folder. ctx bounds the dial and the login.
func DialMailbox(ctx context.Context, rawURL string) (*Mailbox, error) {
	cfg, err := parseIMAPURL(rawURL)
	if err != nil {
		return nil, err
	}
	m := &Mailbox{folder: cfg.folder, arrived: make(chan struct{}, 1), folders: map[string]bool{}}
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{ServerName: cfg.host, MinVersion: tls.VersionTLS12},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					m.signal()
				}
			},
		},
	}
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("inbound: imap dial: %w", err)
	}
	m.conn = conn
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	fail := func(what string, err error) (*Mailbox, error) {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("inbound: imap %s: %w", what, err)
	}

	switch cfg.mode {
	case tlsImplicit:
		tc := tls.Client(conn, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("tls handshake", err)
		}
		m.c = imapclient.New(tc, opts)
	case tlsStartTLS:
		m.c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return fail("starttls", err)
		}
	default:
		m.c = imapclient.New(conn, opts)
	}
	if err := m.c.WaitGreeting(); err != nil {
		return fail("greeting", err)
	}
	if err := m.c.Login(cfg.user, cfg.pass).Wait(); err != nil {
		return fail("login", err)
	}
	sel, err := m.c.Select(cfg.folder, nil).Wait()
	if err != nil {
		return fail("select folder", err)
	}
	m.uidValidity = sel.UIDValidity
	m.idle = m.c.Caps().Has(imap.CapIdle)
	m.drain()
	return m, nil
}

func (m *Mailbox) signal() {
	select {
	case m.arrived <- struct{}{}:
	default:
	}
}

func (m *Mailbox) drain() {
	select {
	case <-m.arrived:
	default:
	}
}

// guard closes the connection if ctx ends while a command runs; the returned
// function ends the guard.
func (m *Mailbox) guard(ctx context.Context) func() bool {
	return context.AfterFunc(ctx, func() { m.conn.Close() })
}

func (m *Mailbox) wrap(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("inbound: imap %s: %w", what, err)
}

// Folder returns the name of the folder the Mailbox reads.
func (m *Mailbox) Folder() string { return m.folder }

// UIDValidity returns the folder's UIDVALIDITY: UIDs are only meaningful
// together with it.
func (m *Mailbox) UIDValidity() uint32 { return m.uidValidity }

// SupportsIdle reports whether the server offers IDLE; without it Wait
// sleeps (polling).
func (m *Mailbox) SupportsIdle() bool { return m.idle }

// Fetch returns up to max messages of the folder (all when max <= 0),
// oldest UID first, without marking them seen. Messages flagged \Deleted are
// skipped. If ctx ends during the fetch, the connection is closed.
func (m *Mailbox) Fetch(ctx context.Context, max int) ([]Fetched, error) {
	if m.closed {
		return nil, errClosed
	}
	defer m.guard(ctx)()
	m.drain() // whatever arrives from now on is news for Wait
	// A server reports new mail in the selected folder only at a command
	// that may change the folder's view: NOOP. Without it a search sees the
	// folder as it was at the previous command, one poll late (Dovecot).
	if err := m.c.Noop().Wait(); err != nil {
		return nil, m.wrap(ctx, "noop", err)
	}
	data, err := m.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return nil, m.wrap(ctx, "search", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	if max > 0 && len(uids) > max {
		uids = uids[:max]
	}
	if len(uids) == 0 {
		return nil, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := m.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		return nil, m.wrap(ctx, "fetch", err)
	}
	out := make([]Fetched, 0, len(msgs))
	for _, msg := range msgs {
		if msg.UID == 0 {
			continue
		}
		out = append(out, Fetched{UID: uint32(msg.UID), Raw: msg.FindBodySection(section), Received: msg.InternalDate})
	}
	slices.SortFunc(out, func(a, b Fetched) int { return cmp.Compare(a.UID, b.UID) })
	return out, nil
}

var errClosed = errors.New("inbound: imap mailbox closed")

// Move moves the message uid to folder, creating (and subscribing) the
// folder if it does not exist. It uses MOVE where the server has it, else
// COPY, STORE \Deleted and EXPUNGE (UID EXPUNGE with UIDPLUS; without
// UIDPLUS a plain EXPUNGE also removes other messages flagged \Deleted).
// Moving a message that is no longer in the folder (gone from this
// connection's view, or expunged by another connection: NO [EXPUNGEISSUED])
// is not an error: it is where it was to go, or gone.
func (m *Mailbox) Move(ctx context.Context, uid uint32, folder string) error {
	if m.closed {
		return errClosed
	}
	folder = strings.TrimSpace(folder)
	if folder == "" || strings.EqualFold(folder, m.folder) {
		return errors.New("inbound: imap move: target folder must differ from the source folder")
	}
	defer m.guard(ctx)()
	if err := m.ensureFolder(folder); err != nil {
		return m.wrap(ctx, "create folder", err)
	}
	if _, err := m.c.Move(imap.UIDSetNum(imap.UID(uid)), folder).Wait(); err != nil {
		if expungeIssued(err) {
			return nil
		}
		return m.wrap(ctx, "move", err)
	}
	return nil
}

// responseExpungeIssued is RFC 5530's code for a command on a message that
// another connection expunged.
const responseExpungeIssued imap.ResponseCode = "EXPUNGEISSUED"

func expungeIssued(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo && ie.Code == responseExpungeIssued
}

func (m *Mailbox) ensureFolder(folder string) error {
	if m.folders[folder] {
		return nil
	}
	err := m.c.Create(folder, nil).Wait()
	if err != nil {
		var ie *imap.Error
		exists := errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists
		if !exists {
			// Servers without response codes: look the folder up.
			list, lerr := m.c.List("", folder, nil).Collect()
			exists = lerr == nil && len(list) > 0
		}
		if !exists {
			return err
		}
	} else {
		_ = m.c.Subscribe(folder).Wait() // only so that mail clients show it
	}
	m.folders[folder] = true
	return nil
}

// Wait returns when new mail arrives in the folder or after maxWait,
// whichever comes first. With IDLE it returns as soon as the server
// announces a message (including one that arrived since the last Fetch);
// without IDLE it sleeps maxWait, and the caller polls with Fetch. A
// cancelled ctx ends the IDLE command cleanly and returns ctx.Err().
func (m *Mailbox) Wait(ctx context.Context, maxWait time.Duration) error {
	if m.closed {
		return errClosed
	}
	if maxWait <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	if !m.idle {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		}
	}
	select {
	case <-m.arrived:
		return nil
	default:
	}
	cmd, err := m.c.Idle()
	if err != nil {
		return m.wrap(ctx, "idle", err)
	}
	var result error
	select {
	case <-m.arrived:
	case <-timer.C:
	case <-ctx.Done():
		result = ctx.Err()
	case <-m.c.Closed():
		return errors.New("inbound: imap idle: connection closed")
	}
	// End IDLE; a server that does not answer within a while is dropped.
	kill := time.AfterFunc(15*time.Second, func() { m.conn.Close() })
	defer kill.Stop()
	if err := cmd.Close(); err != nil && result == nil {
		return fmt.Errorf("inbound: imap idle: %w", err)
	}
	if err := cmd.Wait(); err != nil && result == nil {
		return fmt.Errorf("inbound: imap idle: %w", err)
	}
	return result
}

// Close logs out and closes the connection. It is safe to call more than
// once.
func (m *Mailbox) Close() error {
	if m == nil || m.closed {
		return nil
	}
	m.closed = true
	kill := time.AfterFunc(5*time.Second, func() { m.conn.Close() })
	defer kill.Stop()
	_ = m.c.Logout().Wait() // the connection is closed either way
	_ = m.c.Close()
	return nil
}
