package app

import (
	"context"
	"time"
)

// OutboxExportMail mails a person a link to their data export (payload
// SubscriberRef: ids only).
const OutboxExportMail = "mail:export"

// AuditSubscriberExportMailed is the audit action of an export mailed to
// the person at an operator's hand.
const AuditSubscriberExportMailed = "subscriber_export_mailed"

// ExportLinkTTL is how long a mailed export link opens the export.
const ExportLinkTTL = 7 * 24 * time.Hour

// ExportToken signs a link that opens sub's data export for ExportLinkTTL,
// bound to sub's current address: a change of address voids it.
func (l *Links) ExportToken(sub *Subscriber) string {
	now := l.Now.Now()
	return l.Signer.Sign(Token{Purpose: TokenExport, SubscriberID: sub.ID, IssuedAt: now, ExpiresAt: now.Add(ExportLinkTTL),
		AddressTag: l.Signer.AddressTag(sub.Email)})
}

// Export is the URL of ExportToken: the printable export, with a JSON
// download.
func (l *Links) Export(sub *Subscriber) string {
	return l.url("/export/" + l.ExportToken(sub))
}

// MailExport queues a mail to the address on file of subscriberID, in
// their language, with a link to their data export, and records the
// operator's action in the audit log. An erased person, or one without an
// address, cannot be mailed.
func (s *Privacy) MailExport(ctx context.Context, actor *Admin, subscriberID int64) error {
	err := s.Store.Tx(ctx, func(tx Store) error {
		sub, err := tx.Subscribers().Subscriber(ctx, subscriberID)
		if err != nil {
			return err
		}
		if sub.Status == StatusErased || sub.Email == "" {
			return Errorf(ECONFLICT, "The person's data is erased: there is no address to mail the export to.")
		}
		if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditSubscriberExportMailed, "subscriber", sub.ID, ""); err != nil {
			return err
		}
		return addOutbox(ctx, tx, OutboxExportMail, SubscriberRef{SubscriberID: sub.ID})
	})
	if err != nil {
		return err
	}
	s.wake()
	return nil
}

// ExportForLink returns the export a mailed export link opens. An expired
// link, or one mailed to an address the person no longer has, gives
// ErrTokenExpired with the person's language (so the page that says so
// speaks it); a forged one or one of an erased person gives
// ErrTokenInvalid.
func (s *Privacy) ExportForLink(ctx context.Context, token string) (x *Export, locale string, err error) {
	t, verr := s.Signer.Verify(token, TokenExport, s.Now.Now())
	if verr != nil && verr != ErrTokenExpired {
		return nil, "", verr
	}
	sub, err := s.Store.Subscribers().Subscriber(ctx, t.SubscriberID)
	if IsNotFound(err) || (err == nil && sub.Status == StatusErased) {
		return nil, "", ErrTokenInvalid
	}
	if err != nil {
		return nil, "", err
	}
	if verr != nil || t.AddressTag == "" || !s.Signer.SameAddress(t.AddressTag, sub.Email) {
		return nil, sub.Locale, ErrTokenExpired
	}
	x, err = s.ExportSubscriber(ctx, sub.ID)
	return x, sub.Locale, err
}
