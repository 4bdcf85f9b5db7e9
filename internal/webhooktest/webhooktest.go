// Package webhooktest makes the webhook requests of mail providers for
// tests: SNS messages signed by a test certificate authority, SendGrid
// events signed by a test ECDSA key, Mailgun events signed by a test key,
// and Postmark records with basic-auth credentials. The payloads are the
// providers' documented formats.
package webhooktest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"testing"
	"time"
)

// SNSCertURL is the signing certificate URL of the test SNS messages.
const SNSCertURL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem"

// SNSTopic is the topic of the test SNS messages.
const SNSTopic = "arn:aws:sns:eu-west-1:123456789012:ses-feedback"

// SNS signs SNS messages with a certificate issued by a test authority and
// serves the certificate (and subscription confirmations) through Fetch.
type SNS struct {
	Roots *x509.CertPool
	key   *rsa.PrivateKey
	pem   []byte

	mu      sync.Mutex
	fetched []string
}

// NewSNS makes a test authority and a signing certificate it issued.
func NewSNS(t testing.TB) *SNS {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		DNSNames: []string{"sns.amazonaws.com"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	s := &SNS{Roots: x509.NewCertPool(), key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})}
	s.Roots.AddCert(ca)
	return s
}

// SelfSigned returns the PEM of a certificate for the same key that no
// test authority issued.
func (s *SNS) SelfSigned(t testing.TB) []byte {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &s.key.PublicKey, s.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Fetch serves the signing certificate at SNSCertURL and answers any other
// URL (a SubscribeURL) with a confirmation; it records every URL.
func (s *SNS) Fetch(_ context.Context, url string) ([]byte, error) {
	s.mu.Lock()
	s.fetched = append(s.fetched, url)
	s.mu.Unlock()
	if url == SNSCertURL {
		return s.pem, nil
	}
	return []byte("<ConfirmSubscriptionResponse/>"), nil
}

// Fetched lists the URLs fetched so far.
func (s *SNS) Fetched() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.fetched...)
}

// SNSMessage is an SNS HTTP(S) delivery.
type SNSMessage struct {
	Type             string
	MessageID        string `json:"MessageId"`
	Token            string `json:",omitempty"`
	TopicArn         string
	Subject          string `json:",omitempty"`
	Message          string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL,omitempty"`
	UnsubscribeURL   string `json:"UnsubscribeURL,omitempty"`
}

// Notification is an SNS notification of message on SNSTopic, at at.
func Notification(id, message string, at time.Time) SNSMessage {
	return SNSMessage{Type: "Notification", MessageID: id, TopicArn: SNSTopic, Message: message,
		Timestamp: at.UTC().Format("2006-01-02T15:04:05.000Z"), SigningCertURL: SNSCertURL,
		UnsubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + SNSTopic + ":1"}
}

// SubscriptionConfirmation is SNS's request to confirm a subscription.
func SubscriptionConfirmation(id string, at time.Time) SNSMessage {
	token := "2336412f37fb687f5d51e6e2425ba1f30a3b4e1e2b6d3e6f2d0fe3c1e2b6d3e6"
	return SNSMessage{Type: "SubscriptionConfirmation", MessageID: id, Token: token, TopicArn: SNSTopic,
		Message:      "You have chosen to subscribe to the topic " + SNSTopic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + SNSTopic + "&Token=" + token,
		Timestamp:    at.UTC().Format("2006-01-02T15:04:05.000Z"), SigningCertURL: SNSCertURL}
}

// Sign signs m with SignatureVersion version ("1" or "2") and returns its
// JSON.
func (s *SNS) Sign(t testing.TB, m SNSMessage, version string) []byte {
	t.Helper()
	m.SignatureVersion = version
	var b bytes.Buffer
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
	} else {
		add("SubscribeURL", m.SubscribeURL)
	}
	add("Timestamp", m.Timestamp)
	if m.Type != "Notification" {
		add("Token", m.Token)
	}
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	var sig []byte
	var err error
	if version == "1" {
		d := sha1.Sum(b.Bytes())
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256(b.Bytes())
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, d[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// SESBounce is an SES bounce notification (the documented format, with the
// original headers) of a message with messageID and an X-Newsletter-Ref
// header ref ("" for none) to recipient.
func SESBounce(bounceType, recipient, status, messageID, ref string, at time.Time) string {
	return fmt.Sprintf(`{"notificationType":"Bounce","bounce":{"bounceType":%q,"reportingMTA":"dns; email.example.com",`+
		`"bouncedRecipients":[{"emailAddress":%q,"status":%q,"action":"failed","diagnosticCode":"smtp; 550 5.1.1 <%s>... User unknown"}],`+
		`"bounceSubType":"General","timestamp":%q,"feedbackId":"00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa%04d-000000",`+
		`"remoteMtaIp":"127.0.2.0"},"mail":{"timestamp":%q,"source":"news@example.com",`+
		`"sourceArn":"arn:aws:ses:eu-west-1:123456789012:identity/example.com","sourceIp":"127.0.3.0",`+
		`"sendingAccountId":"123456789012","messageId":"00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",`+
		`"destination":[%q],"headersTruncated":false,"headers":[{"name":"From","value":"News <news@example.com>"},`+
		`{"name":"To","value":%q},{"name":"Subject","value":"Weekly"},{"name":"Message-ID","value":"<%s>"},`+
		`{"name":"X-Newsletter-Ref","value":%q},{"name":"MIME-Version","value":"1.0"}],`+
		`"commonHeaders":{"from":["News <news@example.com>"],"to":[%q],"messageId":"<%s>","subject":"Weekly"}}}`,
		bounceType, recipient, status, recipient, at.UTC().Format(time.RFC3339Nano), at.Unix()%10000, at.UTC().Format(time.RFC3339Nano),
		recipient, recipient, messageID, ref, recipient, messageID)
}

// SESComplaint is an SES complaint notification about a message with
// messageID to recipient.
func SESComplaint(recipient, messageID string, at time.Time) string {
	return fmt.Sprintf(`{"notificationType":"Complaint","complaint":{"userAgent":"ExampleCorp Feedback Loop (V0.01)",`+
		`"complainedRecipients":[{"emailAddress":%q}],"complaintFeedbackType":"abuse","arrivalDate":%q,"timestamp":%q,`+
		`"feedbackId":"000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-%06d"},"mail":{"timestamp":%q,`+
		`"messageId":"000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000","source":"news@example.com",`+
		`"sourceArn":"arn:aws:ses:eu-west-1:123456789012:identity/example.com","sendingAccountId":"123456789012",`+
		`"destination":[%q],"headersTruncated":false,"headers":[{"name":"Message-ID","value":"<%s>"}],`+
		`"commonHeaders":{"from":["News <news@example.com>"],"to":[%q],"messageId":"<%s>","subject":"Weekly"}}}`,
		recipient, at.UTC().Format(time.RFC3339Nano), at.UTC().Format(time.RFC3339Nano), at.Unix()%1000000,
		at.UTC().Format(time.RFC3339Nano), recipient, messageID, recipient, messageID)
}

// SendGrid signs event webhook requests like SendGrid's signed event
// webhook.
type SendGrid struct {
	key *ecdsa.PrivateKey
	// PublicKey is the verification key as SendGrid's console shows it
	// (base64 DER).
	PublicKey string
}

// NewSendGrid makes a key pair.
func NewSendGrid(t testing.TB) *SendGrid {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &SendGrid{key: k, PublicKey: base64.StdEncoding.EncodeToString(der)}
}

// Sign returns the signature and timestamp headers of body at at.
func (s *SendGrid) Sign(t testing.TB, body []byte, at time.Time) (signature, timestamp string) {
	t.Helper()
	timestamp = strconv.FormatInt(at.Unix(), 10)
	h := sha256.Sum256(append([]byte(timestamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig), timestamp
}

// SendGridEvent is one event of the webhook (the documented fields; ref is
// the unique argument newsletter_ref).
func SendGridEvent(event, typ, email, smtpID, ref, eventID string, at time.Time) map[string]any {
	e := map[string]any{"email": email, "timestamp": at.Unix(), "smtp-id": smtpID, "event": event, "category": "newsletter",
		"sg_event_id": eventID, "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"}
	if ref != "" {
		e["newsletter_ref"] = ref
	}
	switch event {
	case "bounce":
		e["reason"], e["status"], e["type"] = "550 5.1.1 The email account that you tried to reach does not exist.", "5.1.1", typ
		e["bounce_classification"] = "Invalid Address"
	case "deferred":
		e["response"], e["attempt"] = "400 try again later", "5"
	}
	return e
}

// Mailgun signs webhook requests like Mailgun.
type Mailgun struct {
	Key string
}

// Event is a Mailgun webhook body (the documented format) for event
// ("failed" or "complained"), signed at at with token.
func (m *Mailgun) Event(event, severity, recipient, messageID, ref, eventID, token string, at time.Time) []byte {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(m.Key))
	mac.Write([]byte(ts + token))
	data := map[string]any{"event": event, "id": eventID, "timestamp": float64(at.UnixNano()) / 1e9, "log-level": "error",
		"recipient": recipient, "recipient-domain": "example.com", "tags": []string{"newsletter"},
		"envelope": map[string]any{"sender": "news@example.com", "transport": "smtp", "targets": recipient},
		"message":  map[string]any{"headers": map[string]any{"to": recipient, "message-id": messageID, "from": "News <news@example.com>", "subject": "Weekly"}, "attachments": []any{}, "size": 1111},
		"flags":    map[string]any{"is-routed": false, "is-authenticated": true, "is-system-test": false, "is-test-mode": false},
	}
	if ref != "" {
		data["user-variables"] = map[string]any{"newsletter_ref": ref}
	}
	if event == "failed" {
		data["severity"], data["reason"] = severity, "bounce"
		data["delivery-status"] = map[string]any{"attempt-no": 1, "message": "550 5.1.1 No such user", "code": 550,
			"description": "", "session-seconds": 0.4}
	}
	body, _ := json.Marshal(map[string]any{
		"signature":  map[string]any{"timestamp": ts, "token": token, "signature": hex.EncodeToString(mac.Sum(nil))},
		"event-data": data,
	})
	return body
}

// PostmarkBounce is a Postmark bounce webhook record (the documented
// format) of type typ ("HardBounce", "SoftBounce", ...) with the metadata
// newsletter_ref.
func PostmarkBounce(id int64, typ, email, ref string, at time.Time) []byte {
	code := map[string]int{"HardBounce": 1, "SoftBounce": 4096, "Transient": 2}[typ]
	body, _ := json.Marshal(map[string]any{"RecordType": "Bounce", "ID": id, "Type": typ, "TypeCode": code,
		"Name": "Hard bounce", "Tag": "newsletter", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
		"Metadata": map[string]string{"newsletter_ref": ref}, "ServerID": 23, "MessageStream": "outbound",
		"Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
		"Details":     "Test bounce details", "Email": email, "From": "news@example.com", "BouncedAt": at.UTC().Format(time.RFC3339Nano),
		"DumpAvailable": true, "Inactive": true, "CanActivate": true, "Subject": "Weekly", "Content": "<Full dump of bounce>"})
	return body
}

// PostmarkComplaint is a Postmark spam complaint webhook record.
func PostmarkComplaint(id int64, email, ref string, at time.Time) []byte {
	body, _ := json.Marshal(map[string]any{"RecordType": "SpamComplaint", "MessageStream": "outbound", "ID": id,
		"Type": "SpamComplaint", "TypeCode": 512, "Name": "Spam complaint", "Tag": "newsletter",
		"MessageID": "00000000-0000-0000-0000-000000000000", "Metadata": map[string]string{"newsletter_ref": ref},
		"ServerID": 1234, "Description": "", "Details": "Test spam complaint details", "Email": email, "From": "news@example.com",
		"BouncedAt": at.UTC().Format(time.RFC3339Nano), "DumpAvailable": true, "Inactive": true, "CanActivate": false,
		"Subject": "Weekly", "Content": "<Abuse report dump>"})
	return body
}

// BasicAuth is the Authorization header of user and password.
func BasicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
