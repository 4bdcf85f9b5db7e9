// Package inbound reads emailed data-subject requests.
//
// It turns a raw RFC 5322 message into a [Message] (Parse), classifies its
// subject into a request kind (Classify), reads what the whole message asks
// for from its subject and the person's own text (Read), checks that the sender's domain
// vouches for the From address (Verify), recognizes auto-replies, delivery
// status reports and mail loops, and reads a mailbox over IMAP (Mailbox).
//
// The package has no side effects: it stores nothing, sends nothing and logs
// nothing. Its errors never contain email addresses.
package inbound
