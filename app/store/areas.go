package store

import "newsletter/app"

// The compiler checks the contract: *Store is the app's Store, and each
// accessor below returns the Store itself as one area's interface, so a
// method missing from the area's file fails the build here.
var _ app.Store = (*Store)(nil)

// Admins implements app.Store (admins.go).
func (s *Store) Admins() app.AdminStore { return s }

// Logins implements app.Store (login_records.go, sessions.go).
func (s *Store) Logins() app.LoginStore { return s }

// TwoFactor implements app.Store (twofactor.go).
func (s *Store) TwoFactor() app.TwoFactorStore { return s }

// Subscribers implements app.Store (subscribers.go, blocks.go).
func (s *Store) Subscribers() app.SubscriberStore { return s }

// Requests implements app.Store (requests.go).
func (s *Store) Requests() app.RequestStore { return s }

// MailLayouts implements app.Store (mail_layouts.go).
func (s *Store) MailLayouts() app.MailLayoutStore { return s }

// Policies implements app.Store (policies.go).
func (s *Store) Policies() app.PolicyStore { return s }

// Suppressions implements app.Store (suppressions.go).
func (s *Store) Suppressions() app.SuppressionStore { return s }

// Campaigns implements app.Store (campaigns.go, feedback.go).
func (s *Store) Campaigns() app.CampaignStore { return s }

// Newsletters implements app.Store (newsletters.go).
func (s *Store) Newsletters() app.NewsletterStore { return s }

// Feedback implements app.Store (feedback.go).
func (s *Store) Feedback() app.FeedbackStore { return s }

// Inbound implements app.Store (inbound.go).
func (s *Store) Inbound() app.InboundStore { return s }

// Audit implements app.Store (audit.go).
func (s *Store) Audit() app.AuditStore { return s }

// Outbox implements app.Store (outbox.go).
func (s *Store) Outbox() app.OutboxStore { return s }

// Retention implements app.Store (erase.go, scrub.go, outbox.go).
func (s *Store) Retention() app.RetentionStore { return s }
