package mail

import (
	"context"
	"errors"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Transport sends messages.
type Transport interface {
	// Send sends a batch, over one connection where that applies, and
	// returns one Result per message, in order. It is safe for concurrent
	// use.
	Send(ctx context.Context, msgs []*Message) []Result
	// Close releases the transport's connections.
	Close() error
}

// Result is the outcome of sending one message. A zero Result (Err == nil)
// means the server accepted the message.
type Result struct {
	// Err is nil when the message was accepted. It never contains the
	// recipient's address.
	Err error
	// Temporary is set when trying again later may succeed: a 4xx reply, a
	// network failure, a timeout, a cancelled context. The caller retries
	// with backoff.
	Temporary bool
	// Permanent is set when sending this message again will fail the same
	// way: a 5xx reply or a message Build rejects.
	Permanent bool
	// NoSuchUser is set, along with Permanent, when the server says the
	// mailbox does not exist (enhanced status 5.1.x, or a 550 "user unknown").
	NoSuchUser bool
	// Code is the SMTP reply code, 0 when there was no reply.
	Code int
	// EnhancedCode is the RFC 3463 status code, such as "5.1.1", when the
	// server gave one.
	EnhancedCode string
}

// OK reports whether the message was accepted.
func (r Result) OK() bool { return r.Err == nil }

// SMTPError is a negative SMTP reply. Its Message is the server's text with
// anything that looks like an address removed.
type SMTPError struct {
	// Command is the step that failed: "MAIL", "RCPT", "DATA" or "EOM"
	// (the reply to the message content, after the final dot).
	Command string
	// Code is the reply code, such as 550.
	Code int
	// EnhancedCode is the RFC 3463 code, such as "5.1.1", or "".
	EnhancedCode string
	// Message is the reply text, without the codes and without addresses.
	Message string
}

// Error implements error.
func (e *SMTPError) Error() string {
	var b strings.Builder
	b.WriteString("smtp ")
	b.WriteString(e.Command)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.Code))
	if e.EnhancedCode != "" {
		b.WriteByte(' ')
		b.WriteString(e.EnhancedCode)
	}
	if e.Message != "" {
		b.WriteByte(' ')
		b.WriteString(e.Message)
	}
	return b.String()
}

// Temporary reports whether the reply is a transient (4xx) failure.
func (e *SMTPError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// enhancedRE matches an RFC 3463 status code at the start of a reply text.
var enhancedRE = regexp.MustCompile(`^([245])\.(\d{1,3})\.(\d{1,3})\b`)

// newSMTPError turns a server reply into an SMTPError.
func newSMTPError(command string, code int, msg string) *SMTPError {
	msg = strings.TrimSpace(msg)
	// A multi-line reply is joined with "\n" by textproto; keep the first line.
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	e := &SMTPError{Command: command, Code: code}
	if loc := enhancedRE.FindStringIndex(msg); loc != nil {
		e.EnhancedCode = msg[:loc[1]]
		msg = strings.TrimSpace(msg[loc[1]:])
	}
	e.Message = redactAddresses(msg)
	return e
}

// redactAddresses replaces every word of s that contains "@" with
// "[address]", so that server replies can be logged.
func redactAddresses(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	words := strings.Fields(s)
	for i, w := range words {
		if strings.Contains(w, "@") {
			words[i] = "[address]"
		}
	}
	return strings.Join(words, " ")
}

// noSuchUserPhrases are reply texts that mean the mailbox does not exist,
// for servers that send no enhanced status code.
var noSuchUserPhrases = []string{
	"no such user", "user unknown", "unknown user", "no such mailbox", "mailbox not found",
	"recipient unknown", "unknown recipient", "does not exist", "invalid recipient",
	"no mailbox here", "user not found",
}

// Classify turns an error from sending into a Result. It understands
// SMTPError, go-mail's SendError, net/textproto's Error, ErrInvalidMessage
// and context errors; any other error counts as a temporary failure (a
// network problem, most likely).
func Classify(err error) Result {
	if err == nil {
		return Result{}
	}
	r := Result{Err: err}
	var se *SMTPError
	var gse *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		r.Code, r.EnhancedCode = se.Code, se.EnhancedCode
		r.NoSuchUser = isNoSuchUser(se.Code, se.EnhancedCode, se.Message)
	case errors.As(err, &gse):
		r.Code, r.EnhancedCode = gse.ErrorCode(), gse.EnhancedStatusCode()
		if r.Code == 0 && gse.IsTemp() {
			r.Temporary = true
			return r
		}
		r.NoSuchUser = isNoSuchUser(r.Code, r.EnhancedCode, err.Error())
	case errors.As(err, &te):
		r.Code = te.Code
		if m := enhancedRE.FindString(te.Msg); m != "" {
			r.EnhancedCode = m
		}
		r.NoSuchUser = isNoSuchUser(te.Code, r.EnhancedCode, te.Msg)
	case errors.Is(err, ErrInvalidMessage):
		r.Permanent = true
		return r
	default:
		r.Temporary = true
		return r
	}
	switch {
	case r.Code >= 500 && r.Code < 600:
		r.Permanent = true
	case r.Code >= 400 && r.Code < 500:
		r.Temporary = true
		r.NoSuchUser = false
	default:
		// No usable code: treat as transient rather than lose the recipient.
		r.Temporary = true
		r.NoSuchUser = false
	}
	if r.Permanent && strings.HasPrefix(r.EnhancedCode, "4.") {
		// A 5xx reply with a 4.x.x enhanced code is contradictory; the
		// basic code wins, as RFC 3463 says.
		r.EnhancedCode = ""
	}
	return r
}

// isNoSuchUser reports whether a reply means the mailbox does not exist.
func isNoSuchUser(code int, enhanced, text string) bool {
	if code < 500 || code >= 600 {
		return false
	}
	if enhanced != "" {
		return strings.HasPrefix(enhanced, "5.1.")
	}
	if code != 550 && code != 551 && code != 553 {
		return false
	}
	text = strings.ToLower(text)
	for _, p := range noSuchUserPhrases {
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

// temporaryResult is a Result for a failure that is not the message's fault.
func temporaryResult(err error) Result {
	return Result{Err: err, Temporary: true}
}

// fillResults sets results[from:] to r.
func fillResults(results []Result, from int, r Result) {
	for i := from; i < len(results); i++ {
		results[i] = r
	}
}

// errClosed is returned for sends on a closed transport.
var errClosed = errors.New("mail transport is closed")
