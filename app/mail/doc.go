// Package mail builds outgoing messages and sends them.
//
// Build turns a Message into RFC 5322 bytes: a multipart/alternative body with
// a plain-text and an HTML part, the list headers of RFC 2369 and RFC 8058,
// threading headers for replies and, when a DKIMSigner is given, a
// DKIM-Signature (RFC 6376, relaxed/relaxed).
//
// A Transport delivers messages. SMTPTransport speaks SMTP through go-mail,
// keeps a small pool of connections open between batches and shares one rate
// limit across all its callers; FileOutbox writes each message as an .eml file,
// for the embedded mode where no SMTP server is configured.
//
// The package never logs, and its errors never contain an address or a name:
// callers log errors, and personal data must not reach the logs.
package mail
