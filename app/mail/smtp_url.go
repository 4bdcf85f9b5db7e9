package mail

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode says how an SMTP connection is encrypted.
type TLSMode string

// SMTPEndpoint is a parsed SMTP_URL.
type SMTPEndpoint struct {
	Host     string  // host name or IP address
	Port     int     // TCP port, defaulted as ParseSMTPURL describes
	Username string  // empty: no SMTP AUTH
	Password string  // percent-decoded
	TLS      TLSMode // how the connection is encrypted
}

// String returns the endpoint as a URL with the password hidden, fit for logs.
func (e SMTPEndpoint) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), RawQuery: "tls=" + string(e.TLS)}
	if e.Username != "" {
		u.User = url.UserPassword(e.Username, "xxxxx")
	}
	return u.String()
}

// ParseSMTPURL parses SMTP_URL: smtp://[user[:password]@]host[:port][?tls=starttls|tls|none],
// or smtps://... for implicit TLS. User and password are percent-decoded.
//
// Without tls=, the mode follows the scheme and port: smtps:// or port 465
// means tls; port 25 or 1025 (relays and local test servers) means none; any
// other port (587, 2525, ...) means starttls. Without a port, smtps:// and
// tls=tls use 465, tls=none uses 25 and everything else 587.
//
// Errors never include the password.
func ParseSMTPURL(raw string) (SMTPEndpoint, error) {
	var ep SMTPEndpoint
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ep, errors.New("SMTP URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return ep, fmt.Errorf("SMTP URL is not a valid URL: %v", err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "smtp", "smtps":
	case "":
		return ep, errors.New(`SMTP URL has no scheme: write smtp://host:port`)
	default:
		return ep, fmt.Errorf("unsupported scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	if u.Opaque != "" {
		return ep, errors.New(`SMTP URL must look like smtp://host:port`)
	}
	ep.Host = u.Hostname()
	if ep.Host == "" {
		return ep, errors.New("SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return ep, fmt.Errorf("SMTP URL port %q is not a port number", p)
		}
		ep.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return ep, errors.New("SMTP URL must not have a path")
	}
	if u.User != nil {
		ep.Username = u.User.Username()
		ep.Password, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return ep, fmt.Errorf("SMTP URL query: %v", err)
	}
	for k := range q {
		if k != "tls" {
			return ep, fmt.Errorf("SMTP URL parameter %q is not supported (only tls)", k)
		}
	}
	mode := TLSMode(strings.ToLower(q.Get("tls")))
	switch mode {
	case "":
		switch {
		case scheme == "smtps" || ep.Port == 465:
			mode = TLSImplicit
		case ep.Port == 25 || ep.Port == 1025:
			mode = TLSNone
		default:
			mode = TLSStartTLS
		}
	case TLSStartTLS, TLSImplicit, TLSNone:
		if scheme == "smtps" && mode != TLSImplicit {
			return ep, fmt.Errorf("smtps:// means tls=tls, not tls=%s", mode)
		}
	default:
		return ep, fmt.Errorf("tls must be starttls, tls or none, not %q", q.Get("tls"))
	}
	ep.TLS = mode
	if ep.Port == 0 {
		switch mode {
		case TLSImplicit:
			ep.Port = 465
		case TLSNone:
			ep.Port = 25
		default:
			ep.Port = 587
		}
	}
	return ep, nil
}
