package app

import (
	"net/url"
	"strings"
	"time"
)

// PreferencesLinkTTL is how long a preference-centre link stays valid.
const PreferencesLinkTTL = 90 * 24 * time.Hour

// Links makes the signed absolute URLs that go into mail and pages.
type Links struct {
	Base   *url.URL
	Signer *Signer
}

func (l *Links) url(path string) string {
	return strings.TrimRight(l.Base.String(), "/") + path
}

// ConfirmToken signs the double opt-in link of a confirmation.
func (l *Links) ConfirmToken(confirmationID, subscriberID int64, expires time.Time) string {
	return l.Signer.Sign(Token{Purpose: TokenConfirm, ConfirmationID: confirmationID, SubscriberID: subscriberID,
		IssuedAt: time.Now(), ExpiresAt: expires})
}

// Confirm is the double opt-in page of a confirmation.
func (l *Links) Confirm(confirmationID, subscriberID int64, expires time.Time) string {
	return l.url("/confirm/" + l.ConfirmToken(confirmationID, subscriberID, expires))
}

// UnsubscribeToken signs a person and a campaign (0 for none); it never expires.
func (l *Links) UnsubscribeToken(subscriberID, campaignID int64) string {
	return l.Signer.Sign(Token{Purpose: TokenUnsubscribe, SubscriberID: subscriberID, CampaignID: campaignID, IssuedAt: time.Now()})
}

// Unsubscribe is the unsubscribe page and RFC 8058 one-click endpoint.
func (l *Links) Unsubscribe(subscriberID, campaignID int64) string {
	return l.url("/u/" + l.UnsubscribeToken(subscriberID, campaignID))
}

// Preferences is a person's preference centre.
func (l *Links) Preferences(subscriberID int64) string {
	return l.url("/preferences/" + l.Signer.Sign(Token{Purpose: TokenPreferences, SubscriberID: subscriberID,
		IssuedAt: time.Now(), ExpiresAt: time.Now().Add(PreferencesLinkTTL)}))
}

// Revoke confirms a revocation of consent asked for by email.
func (l *Links) Revoke(confirmationID, subscriberID int64, expires time.Time) string {
	return l.url("/revoke/" + l.Signer.Sign(Token{Purpose: TokenRevoke, ConfirmationID: confirmationID, SubscriberID: subscriberID,
		IssuedAt: time.Now(), ExpiresAt: expires}))
}

// Page is an absolute URL of a public page path such as "/privacy".
func (l *Links) Page(path string) string { return l.url(path) }
