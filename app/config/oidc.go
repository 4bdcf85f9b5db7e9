package config

import (
	"net"
	"net/url"
	"strings"
)

// OIDC is the OpenID Connect single sign-on of the console; the zero
// value is off.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// ProviderName is what the sign-in button calls the provider.
	ProviderName string
}

// On reports whether single sign-on is configured.
func (o OIDC) On() bool { return o.Issuer != "" }

// loadOIDC reads OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (all
// three or none) and OIDC_PROVIDER_NAME.
func loadOIDC(c *Config, get func(string, string) string) error {
	o := OIDC{Issuer: strings.TrimRight(get("OIDC_ISSUER", ""), "/"), ClientID: get("OIDC_CLIENT_ID", ""),
		ClientSecret: get("OIDC_CLIENT_SECRET", ""), ProviderName: get("OIDC_PROVIDER_NAME", "")}
	set := 0
	for _, v := range []string{o.Issuer, o.ClientID, o.ClientSecret} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		if o.ProviderName != "" {
			return bad("OIDC_PROVIDER_NAME", "set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too")
		}
		return nil
	case set != 3:
		return bad("OIDC_ISSUER", "OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together")
	}
	u, err := url.Parse(o.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || !(u.Scheme == "https" || (u.Scheme == "http" && loopback(u.Hostname()))) {
		return bad("OIDC_ISSUER", "%q is not an https issuer URL (plain http only on this machine's loopback)", o.Issuer)
	}
	if len(o.ProviderName) > 40 {
		return bad("OIDC_PROVIDER_NAME", "at most 40 characters")
	}
	c.OIDC = o
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
