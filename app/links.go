package app

import (
	"net/url"
	"strings"
	"time"
)

// DefaultPreferencesTTL is how long a mailed preference-centre link opens
// the person's data when Links.PreferencesTTL is not set.
const DefaultPreferencesTTL = 4 * time.Hour

// Links makes the signed absolute URLs that go into mail and pages.
type Links struct {
	Base   *url.URL
	Signer *Signer
	// PreferencesTTL is how long a mailed preferences link opens the
	// preference centre; 0 means DefaultPreferencesTTL.
	PreferencesTTL time.Duration
	// Now is the clock; nil is the system clock.
	Now Clock
}

func (l *Links) url(path string) string {
	return strings.TrimRight(l.Base.String(), "/") + path
}

// ConfirmToken signs the double opt-in link of a confirmation.
func (l *Links) ConfirmToken(confirmationID, subscriberID int64, expires time.Time) string {
	return l.Signer.Sign(Token{Purpose: TokenConfirm, ConfirmationID: confirmationID, SubscriberID: subscriberID,
		IssuedAt: l.Now.Now(), ExpiresAt: expires})
}

// Confirm is the double opt-in page of a confirmation.
func (l *Links) Confirm(confirmationID, subscriberID int64, expires time.Time) string {
	return l.url("/confirm/" + l.ConfirmToken(confirmationID, subscriberID, expires))
}

// UnsubscribeToken signs a person and a campaign (0 for none); it never expires.
func (l *Links) UnsubscribeToken(subscriberID, campaignID int64) string {
	return l.Signer.Sign(Token{Purpose: TokenUnsubscribe, SubscriberID: subscriberID, CampaignID: campaignID, IssuedAt: l.Now.Now()})
}

// Unsubscribe is the unsubscribe page and RFC 8058 one-click endpoint.
func (l *Links) Unsubscribe(subscriberID, campaignID int64) string {
	return l.url("/u/" + l.UnsubscribeToken(subscriberID, campaignID))
}

// PreferencesToken signs a link that opens sub's preference centre for
// PreferencesTTL, bound to sub's current address: it may go only in mail to
// that address, to that one person (never in bulk mail, which gets
// forwarded).
func (l *Links) PreferencesToken(sub *Subscriber) string {
	ttl := l.PreferencesTTL
	if ttl <= 0 {
		ttl = DefaultPreferencesTTL
	}
	now := l.Now.Now()
	return l.Signer.Sign(Token{Purpose: TokenPreferences, SubscriberID: sub.ID, IssuedAt: now, ExpiresAt: now.Add(ttl),
		AddressTag: l.Signer.AddressTag(sub.Email)})
}

// Preferences is the URL of PreferencesToken.
func (l *Links) Preferences(sub *Subscriber) string {
	return l.url("/preferences/" + l.PreferencesToken(sub))
}

// PreferencesRequest is the preferences link of bulk mail: a page with one
// button that mails a fresh Preferences link to the address on file. It
// opens no personal data and changes nothing, so a forwarded message hands
// nothing to its reader; it never expires.
func (l *Links) PreferencesRequest(subscriberID int64) string {
	return l.url("/preferences/" + l.PreferencesRequestToken(subscriberID))
}

// PreferencesRequestToken signs the token of PreferencesRequest.
func (l *Links) PreferencesRequestToken(subscriberID int64) string {
	return l.Signer.Sign(Token{Purpose: TokenPreferences, SubscriberID: subscriberID, IssuedAt: l.Now.Now()})
}

// Revoke confirms a revocation of consent asked for by email.
func (l *Links) Revoke(confirmationID, subscriberID int64, expires time.Time) string {
	return l.url("/revoke/" + l.Signer.Sign(Token{Purpose: TokenRevoke, ConfirmationID: confirmationID, SubscriberID: subscriberID,
		IssuedAt: l.Now.Now(), ExpiresAt: expires}))
}

// Page is an absolute URL of a public page path such as "/privacy".
func (l *Links) Page(path string) string { return l.url(path) }
