// Package sso signs operators in to the console through an OpenID Connect
// provider: the authorization code flow with PKCE, a state bound to the
// browser and a nonce bound to the ID token, which go-oidc verifies
// (signature, issuer, audience, expiry). It answers with the verified
// email address only; which admin that is, and what they may do, the
// product decides (app.AdminAuth.SignInVerified).
package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"newsletter/app"
)

// Config is an OpenID Connect client's settings.
type Config struct {
	// Issuer is the provider's issuer URL (OIDC_ISSUER).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the console's callback, registered at the provider.
	RedirectURL string
	// Name is what the sign-in button calls the provider; "" is the
	// issuer's host.
	Name string
	// HTTPClient talks to the provider; nil is a client with a timeout.
	HTTPClient *http.Client
}

// Errors of Finish.
var (
	// ErrState: the answer does not belong to a sign-in this browser
	// started (or it expired).
	ErrState = app.Errorf(app.EINVALID, "This sign-in was not started in this browser, or it took too long. Start again.")
	// ErrUnverified: the provider does not vouch for the email address.
	ErrUnverified = app.Errorf(app.EFORBIDDEN, "The identity provider has not verified your email address.")
	// ErrRefused: the provider refused or failed the sign-in.
	ErrRefused = app.Errorf(app.EUNAUTHORIZED, "The identity provider did not sign you in.")
)

// Provider is a configured OpenID Connect provider. The provider's
// discovery document is fetched on first use (and again after a failure),
// so the product starts while the provider is down.
type Provider struct {
	cfg Config

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// New returns the provider of cfg.
func New(cfg Config) *Provider {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if cfg.Name == "" {
		if u, err := url.Parse(cfg.Issuer); err == nil {
			cfg.Name = u.Host
		}
	}
	return &Provider{cfg: cfg}
}

// Name is what the sign-in button calls the provider.
func (p *Provider) Name() string { return p.cfg.Name }

func (p *Provider) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// discover fetches the provider's configuration once.
func (p *Provider) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oauth != nil {
		return p.oauth, p.verifier, nil
	}
	prov, err := oidc.NewProvider(p.ctx(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("oidc discovery: %w", err)
	}
	p.oauth = &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: prov.Endpoint(),
		RedirectURL: p.cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID, "email"}}
	p.verifier = prov.Verifier(&oidc.Config{ClientID: p.cfg.ClientID})
	return p.oauth, p.verifier, nil
}

// Start begins a sign-in: the URL to send the browser to, and what the
// browser keeps until it comes back (state, nonce and PKCE verifier).
func (p *Provider) Start(ctx context.Context) (authURL, kept string, err error) {
	oc, _, err := p.discover(ctx)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier := app.RandomSecret(24), app.RandomSecret(24), oauth2.GenerateVerifier()
	authURL = oc.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return authURL, state + "." + nonce + "." + verifier, nil
}

// Finish completes a sign-in with the code and state the provider sent
// back and what the browser kept; it returns the verified email address.
func (p *Provider) Finish(ctx context.Context, code, state, kept string) (string, error) {
	parts := strings.Split(kept, ".")
	if len(parts) != 3 || state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(parts[0])) != 1 {
		return "", ErrState
	}
	nonce, verifier := parts[1], parts[2]
	if code == "" {
		return "", ErrRefused
	}
	oc, v, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	tok, err := oc.Exchange(p.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrRefused, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", fmt.Errorf("%w (no id token)", ErrRefused)
	}
	idt, err := v.Verify(p.ctx(ctx), raw)
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrRefused, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return "", fmt.Errorf("%w (nonce)", ErrRefused)
	}
	var claims struct {
		Email         string          `json:"email"`
		EmailVerified json.RawMessage `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return "", fmt.Errorf("%w (%v)", ErrRefused, err)
	}
	// Some providers send the flag as a string.
	if v := strings.Trim(string(claims.EmailVerified), `"`); v != "true" || claims.Email == "" {
		return "", ErrUnverified
	}
	return claims.Email, nil
}
