// Package config reads the product's configuration from the environment and
// validates it, so a wrong value stops the program at start with one line
// naming the variable and what is wrong.
package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the validated configuration of one process.
type Config struct {
	Addr    string
	BaseURL *url.URL
	DataDir string

	// DatabaseURL is the PostgreSQL URL, or empty for embedded SQLite.
	DatabaseURL string
	// DatabaseMaxConns is the most PostgreSQL connections one process
	// opens.
	DatabaseMaxConns int
	// RedisURL is the Redis URL (one server, or Sentinels: see
	// ParseRedisURL), or empty for the embedded server.
	RedisURL string
	// SMTPURL is the SMTP URL, or empty to write mail to DataDir/outbox.
	SMTPURL string
	// SMTPRate is the messages-per-second limit of the SMTP transport (0 = none).
	SMTPRate float64

	// Secrets are the signing keys, newest first; the first signs, all verify.
	Secrets [][]byte

	MailFrom        string
	OperatorName    string
	OperatorEmail   string
	OperatorAddress string
	OperatorCountry string
	SMTPCountry     string
	// OperatorZone is the operator's time zone (OPERATOR_TIMEZONE, an IANA
	// name; by default the zone of OperatorCountry): the console shows
	// times in it and request deadlines end at its end of day.
	OperatorZone *time.Location

	IMAPURL                  string
	InboundToken             string
	InboundTrustedAuthservID string

	DKIMDomain   string
	DKIMSelector string
	DKIMKeyFile  string

	AdminEmail    string
	AdminPassword string
	// OIDC is the console's single sign-on; off when not configured.
	OIDC OIDC

	// ConfirmTTL is how long a confirmation link stays valid.
	ConfirmTTL time.Duration
	// PendingTTL is how long an unconfirmed subscription is kept.
	PendingTTL time.Duration
	// PreferencesTTL is how long a mailed preferences link opens the
	// person's data.
	PreferencesTTL time.Duration
	// Holidays are extra non-working days (YYYY-MM-DD) for deadlines.
	Holidays []string
	// FormOrigins are the origins allowed to POST the embeddable form.
	FormOrigins []string
	// FormRedirect is where a person is sent after a cross-origin form post.
	FormRedirect string
	// SubscribeLimitIP is how many subscriptions one IP address may post
	// per minute; SubscribeLimitAddress how many one address may get per
	// hour. 0 turns a limit off.
	SubscribeLimitIP      int
	SubscribeLimitAddress int
	// AnalyticsSrc is the URL of an analytics script that public pages load
	// only after the visitor allows it; empty for none.
	AnalyticsSrc string
	// Workers is the number of concurrent queue workers per process.
	Workers int
	// MetricsToken is the bearer token /metrics asks for; MetricsAddr an
	// address of its own where /metrics alone is served. Without either,
	// /metrics is off: its counters tell who is subscribed to someone who
	// can also post the public forms.
	MetricsToken string
	MetricsAddr  string
	// MailReturnPath, when set, is the envelope sender of campaign mail,
	// made per delivery (VERP): local+reference@domain.
	MailReturnPath string
	// Webhooks of mail providers' delivery events; each is off until set.
	// SESTopicARNs are the SNS topics whose SES notifications are taken;
	// SendGridWebhookKey is the event webhook's verification key (base64);
	// MailgunSigningKey the webhook signing key; PostmarkWebhookUser and
	// PostmarkWebhookPassword the basic-auth credentials of the webhook URL.
	SESTopicARNs            []string
	SendGridWebhookKey      string
	MailgunSigningKey       string
	PostmarkWebhookUser     string
	PostmarkWebhookPassword string
	// WebhookAllowPrivate lets event webhooks use plain http:// and reach
	// loopback, private and link-local addresses (WEBHOOK_ALLOW_PRIVATE).
	WebhookAllowPrivate bool
	// OutboxLease is how long an outbox row handed to the queue may stay
	// unfinished before it is handed over again (the queue may lose it).
	OutboxLease time.Duration
	// LogFormat is "text" or "json".
	LogFormat string
	// LogLevel is the minimum level logged.
	LogLevel string
}

// Embedded reports whether the process runs on its embedded database.
func (c *Config) Embedded() bool { return c.DatabaseURL == "" }

// OutboxDir is where mail goes when no SMTP server is configured.
func (c *Config) OutboxDir() string { return filepath.Join(c.DataDir, "outbox") }

// SQLitePath is the embedded database file.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "newsletter.db") }

// Error names the variable that is wrong and why.
type Error struct {
	Var    string
	Reason string
}

func (e *Error) Error() string { return e.Var + ": " + e.Reason }

func bad(name, format string, args ...any) error {
	return &Error{Var: name, Reason: fmt.Sprintf(format, args...)}
}

// Load reads the configuration through getenv and validates it. It does not
// touch the file system; call EnsureSecret to create the embedded secret.
func Load(getenv func(string) string) (*Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := &Config{
		Addr:                     get("NEWSLETTER_ADDR", ":8080"),
		DataDir:                  get("NEWSLETTER_DATA_DIR", "./data"),
		DatabaseURL:              get("DATABASE_URL", ""),
		RedisURL:                 get("REDIS_URL", ""),
		SMTPURL:                  get("SMTP_URL", ""),
		MailFrom:                 get("MAIL_FROM", "Newsletter <newsletter@localhost>"),
		OperatorName:             get("OPERATOR_NAME", "Newsletter operator"),
		OperatorEmail:            get("OPERATOR_EMAIL", ""),
		OperatorAddress:          get("OPERATOR_ADDRESS", ""),
		OperatorCountry:          strings.ToUpper(get("OPERATOR_COUNTRY", "RU")),
		IMAPURL:                  get("IMAP_URL", ""),
		InboundToken:             get("INBOUND_TOKEN", ""),
		InboundTrustedAuthservID: get("INBOUND_TRUSTED_AUTHSERV_ID", ""),
		DKIMDomain:               get("DKIM_DOMAIN", ""),
		DKIMSelector:             get("DKIM_SELECTOR", ""),
		DKIMKeyFile:              get("DKIM_PRIVATE_KEY_FILE", ""),
		AdminEmail:               get("ADMIN_EMAIL", ""),
		AdminPassword:            getenv("ADMIN_PASSWORD"),
		FormRedirect:             get("NEWSLETTER_FORM_REDIRECT", ""),
		AnalyticsSrc:             get("NEWSLETTER_ANALYTICS_SRC", ""),
		MetricsToken:             get("METRICS_TOKEN", ""),
		MetricsAddr:              get("METRICS_ADDR", ""),
		LogFormat:                get("LOG_FORMAT", "text"),
		LogLevel:                 get("LOG_LEVEL", "info"),
	}
	c.SMTPCountry = strings.ToUpper(get("SMTP_COUNTRY", c.OperatorCountry))

	var err error
	if err = checkAddr("NEWSLETTER_ADDR", c.Addr); err != nil {
		return nil, err
	}
	if c.BaseURL, err = parseBaseURL(get("NEWSLETTER_BASE_URL", "http://localhost:8080")); err != nil {
		return nil, err
	}
	if c.DatabaseURL != "" {
		if err := checkURL("DATABASE_URL", c.DatabaseURL, "postgres", "postgresql"); err != nil {
			return nil, err
		}
	}
	if c.RedisURL != "" {
		if _, err := ParseRedisURL(c.RedisURL); err != nil {
			return nil, bad("REDIS_URL", "%v", err)
		}
	}
	if c.SMTPURL != "" {
		if err := checkSMTPURL(c.SMTPURL); err != nil {
			return nil, err
		}
	}
	if c.IMAPURL != "" {
		if err := checkURL("IMAP_URL", c.IMAPURL, "imap", "imaps"); err != nil {
			return nil, err
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return nil, bad("MAIL_FROM", "not an email address: %v", err)
	}
	if c.OperatorEmail != "" {
		if _, err := mail.ParseAddress(c.OperatorEmail); err != nil {
			return nil, bad("OPERATOR_EMAIL", "not an email address")
		}
	}
	if !isCountryCode(c.OperatorCountry) {
		return nil, bad("OPERATOR_COUNTRY", "%q is not a two-letter ISO 3166 country code", c.OperatorCountry)
	}
	if !isCountryCode(c.SMTPCountry) {
		return nil, bad("SMTP_COUNTRY", "%q is not a two-letter ISO 3166 country code", c.SMTPCountry)
	}
	if c.OperatorZone, err = loadZone(get("OPERATOR_TIMEZONE", countryZone(c.OperatorCountry))); err != nil {
		return nil, err
	}
	dkimSet := 0
	for _, v := range []string{c.DKIMDomain, c.DKIMSelector, c.DKIMKeyFile} {
		if v != "" {
			dkimSet++
		}
	}
	if dkimSet != 0 && dkimSet != 3 {
		return nil, bad("DKIM_DOMAIN", "DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE must be set together")
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return nil, bad("ADMIN_PASSWORD", "ADMIN_EMAIL and ADMIN_PASSWORD must be set together")
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 10 {
		return nil, bad("ADMIN_PASSWORD", "must be at least 10 characters")
	}
	if c.AdminEmail != "" {
		if _, err := mail.ParseAddress(c.AdminEmail); err != nil {
			return nil, bad("ADMIN_EMAIL", "not an email address")
		}
	}
	if s := getenv("NEWSLETTER_SECRET"); s != "" {
		if c.Secrets, err = parseSecrets(s); err != nil {
			return nil, err
		}
	} else if c.DatabaseURL != "" {
		return nil, bad("NEWSLETTER_SECRET", "required when DATABASE_URL is set (at least 32 characters)")
	}
	switch v := strings.ToLower(get("WEBHOOK_ALLOW_PRIVATE", "false")); v {
	case "true", "1", "yes":
		c.WebhookAllowPrivate = true
	case "false", "0", "no", "":
	default:
		return nil, bad("WEBHOOK_ALLOW_PRIVATE", "must be true or false")
	}
	if c.ConfirmTTL, err = duration(get, "NEWSLETTER_CONFIRM_TTL", "168h"); err != nil {
		return nil, err
	}
	if c.PendingTTL, err = duration(get, "NEWSLETTER_PENDING_TTL", "720h"); err != nil {
		return nil, err
	}
	if c.PreferencesTTL, err = duration(get, "NEWSLETTER_PREFERENCES_TTL", "4h"); err != nil {
		return nil, err
	}
	if c.SMTPRate, err = strconv.ParseFloat(get("SMTP_RATE", "0"), 64); err != nil || c.SMTPRate < 0 {
		return nil, bad("SMTP_RATE", "must be a number of messages per second >= 0")
	}
	if c.SubscribeLimitIP, err = strconv.Atoi(get("NEWSLETTER_LIMIT_IP", "20")); err != nil || c.SubscribeLimitIP < 0 {
		return nil, bad("NEWSLETTER_LIMIT_IP", "must be a whole number of requests per minute >= 0")
	}
	if c.SubscribeLimitAddress, err = strconv.Atoi(get("NEWSLETTER_LIMIT_ADDRESS", "5")); err != nil || c.SubscribeLimitAddress < 0 {
		return nil, bad("NEWSLETTER_LIMIT_ADDRESS", "must be a whole number of requests per hour >= 0")
	}
	if c.DatabaseMaxConns, err = strconv.Atoi(get("DATABASE_MAX_CONNS", "40")); err != nil || c.DatabaseMaxConns < 4 || c.DatabaseMaxConns > 1000 {
		return nil, bad("DATABASE_MAX_CONNS", "must be a whole number of connections from 4 to 1000")
	}
	if c.Workers, err = strconv.Atoi(get("NEWSLETTER_WORKERS", "10")); err != nil || c.Workers < 1 || c.Workers > 1000 {
		return nil, bad("NEWSLETTER_WORKERS", "must be a whole number from 1 to 1000")
	}
	if c.OutboxLease, err = duration(get, "NEWSLETTER_OUTBOX_LEASE", "2m"); err != nil {
		return nil, err
	} else if c.OutboxLease < time.Second {
		return nil, bad("NEWSLETTER_OUTBOX_LEASE", "must be at least 1s")
	}
	for _, h := range splitList(getenv("NEWSLETTER_HOLIDAYS")) {
		if _, err := time.Parse("2006-01-02", h); err != nil {
			return nil, bad("NEWSLETTER_HOLIDAYS", "%q is not a date (YYYY-MM-DD)", h)
		}
		c.Holidays = append(c.Holidays, h)
	}
	for _, o := range splitList(getenv("NEWSLETTER_FORM_ORIGINS")) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, bad("NEWSLETTER_FORM_ORIGINS", "%q is not an origin like https://www.example.com", o)
		}
		c.FormOrigins = append(c.FormOrigins, u.Scheme+"://"+u.Host)
	}
	if c.FormRedirect != "" {
		if u, err := url.Parse(c.FormRedirect); err != nil || !u.IsAbs() {
			return nil, bad("NEWSLETTER_FORM_REDIRECT", "must be an absolute URL")
		}
	}
	if c.AnalyticsSrc != "" {
		if u, err := url.Parse(c.AnalyticsSrc); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, bad("NEWSLETTER_ANALYTICS_SRC", "must be an https URL of a script")
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return nil, bad("METRICS_TOKEN", "at least 16 characters")
	}
	if c.MetricsAddr != "" {
		if err := checkAddr("METRICS_ADDR", c.MetricsAddr); err != nil {
			return nil, err
		}
		if c.MetricsAddr == c.Addr {
			return nil, bad("METRICS_ADDR", "must differ from NEWSLETTER_ADDR")
		}
	}
	if err := loadFeedback(c, get); err != nil {
		return nil, err
	}
	if err := loadOIDC(c, get); err != nil {
		return nil, err
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return nil, bad("LOG_FORMAT", "must be text or json, not %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, bad("LOG_LEVEL", "must be debug, info, warn or error, not %q", c.LogLevel)
	}
	return c, nil
}

// EnsureSecret makes sure the embedded mode has a signing key: it reads
// DataDir/secret, creating it with a new random key on first start.
func (c *Config) EnsureSecret() error {
	if len(c.Secrets) > 0 {
		return nil
	}
	path := filepath.Join(c.DataDir, "secret")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return fmt.Errorf("generate secret: %w", err)
		}
		b = []byte(base64.RawURLEncoding.EncodeToString(key) + "\n")
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("create secret: %w", err)
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return fmt.Errorf("write secret: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write secret: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("read secret: %w", err)
	}
	c.Secrets, err = parseSecrets(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func parseSecrets(s string) ([][]byte, error) {
	var keys [][]byte
	for _, k := range splitList(s) {
		if len(k) < 32 {
			return nil, bad("NEWSLETTER_SECRET", "each key must be at least 32 characters")
		}
		keys = append(keys, []byte(k))
	}
	if len(keys) == 0 {
		return nil, bad("NEWSLETTER_SECRET", "no key given")
	}
	return keys, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func duration(get func(string, string) string, name, def string) (time.Duration, error) {
	d, err := time.ParseDuration(get(name, def))
	if err != nil || d <= 0 {
		return 0, bad(name, "must be a positive duration like 168h")
	}
	return d, nil
}

func checkAddr(name, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad(name, "%q is not host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return bad(name, "%q has no valid port", addr)
	}
	_ = host
	return nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, bad("NEWSLETTER_BASE_URL", "%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("NEWSLETTER_BASE_URL", "must not have a query or fragment")
	}
	return u, nil
}

func checkURL(name, raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return bad(name, "not a URL")
	}
	ok := false
	for _, s := range schemes {
		if u.Scheme == s {
			ok = true
		}
	}
	if !ok {
		return bad(name, "unsupported scheme %q (want %s)", u.Scheme, strings.Join(schemes, " or "))
	}
	if u.Host == "" {
		return bad(name, "no host")
	}
	return nil
}

func checkSMTPURL(raw string) error {
	if err := checkURL("SMTP_URL", raw, "smtp", "smtps"); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	switch u.Query().Get("tls") {
	case "", "starttls", "tls", "none":
	default:
		return bad("SMTP_URL", "tls must be starttls, tls or none, not %q", u.Query().Get("tls"))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("SMTP_URL", "invalid port %q", p)
		}
	}
	return nil
}

func isCountryCode(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
