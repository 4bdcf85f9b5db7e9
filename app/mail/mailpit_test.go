package mail

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsletter/internal/testenv"
)

func TestSMTPMailpit(t *testing.T) {
	mp := testenv.Mailpit(t)
	ctx := context.Background()

	tr := newTestSMTP(t, SMTPConfig{URL: mp.SMTPURL(), Timeout: 10 * time.Second, HeloName: "newsletter.test"})
	const n = 6
	msgs := make([]*Message, n)
	for i := range msgs {
		m := sampleMessage()
		m.To = fmt.Sprintf("reader%d@example.org", i)
		m.ToName = fmt.Sprintf("Читатель %d", i)
		m.Subject = fmt.Sprintf("Новости №%d", i)
		m.MessageID = fmt.Sprintf("d%d.c1.%d@example.com", i, time.Now().UnixNano())
		msgs[i] = m
	}
	for i, r := range tr.Send(ctx, msgs) {
		if !r.OK() {
			t.Fatalf("message %d: %+v", i, r)
		}
	}
	// A second batch reuses the pooled connection.
	extra := sampleMessage()
	extra.To, extra.MessageID = "late@example.org", fmt.Sprintf("late.%d@example.com", time.Now().UnixNano())
	if r := tr.Send(ctx, []*Message{extra}); !r[0].OK() {
		t.Fatal(r[0].Err)
	}
	msgs = append(msgs, extra)

	got := mp.WaitForCount(t, len(msgs), 10*time.Second)
	byID := map[string]testenv.MailpitMessage{}
	for _, g := range got {
		if _, dup := byID[g.MessageID]; dup {
			t.Errorf("%s arrived twice", g.MessageID)
		}
		byID[g.MessageID] = g
	}
	for i, m := range msgs {
		g, ok := byID[m.MessageID]
		if !ok {
			t.Errorf("message %d (%s) did not arrive", i, m.MessageID)
			continue
		}
		if g.Subject != m.Subject {
			t.Errorf("message %d: Subject = %q, want %q", i, g.Subject, m.Subject)
		}
		if len(g.To) != 1 || g.To[0] != m.To {
			t.Errorf("message %d: To = %v, want %s", i, g.To, m.To)
		}
		if g.From != "news@example.com" {
			t.Errorf("message %d: From = %q", i, g.From)
		}
	}

	raw, err := mp.Raw(ctx, byID[msgs[0].MessageID].ID)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := pm.Header
	if got := h.Get("List-Unsubscribe"); got != "<https://example.com/u/TOKEN123>, <"+msgs[0].ListUnsubscribeMailto+">" {
		t.Errorf("List-Unsubscribe = %q", got)
	}
	if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	if got := h.Get("List-Id"); got != "Example news <news.example.com>" {
		t.Errorf("List-Id = %q", got)
	}
	if subj, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); subj != msgs[0].Subject {
		t.Errorf("Subject = %q", subj)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative;") {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}

	if err := mp.DeleteAll(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := mp.Count(ctx); err != nil || c != 0 {
		t.Errorf("after DeleteAll: %d messages (%v)", c, err)
	}
}

func TestSMTPMailpitDKIM(t *testing.T) {
	mp := testenv.Mailpit(t)
	ctx := context.Background()
	for name, keyPEM := range map[string][]byte{"RSA": rsaPKCS1PEM(), "Ed25519": ed25519PEM(t)} {
		t.Run(name, func(t *testing.T) {
			if err := mp.DeleteAll(ctx); err != nil {
				t.Fatal(err)
			}
			signer, err := NewDKIMSigner("example.com", "mp", keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			tr := newTestSMTP(t, SMTPConfig{URL: mp.SMTPURL(), DKIM: signer})
			m := sampleMessage()
			m.Subject = "Подписанное письмо"
			m.ToName = "Иван Петров"
			if r := tr.Send(ctx, []*Message{m}); !r[0].OK() {
				t.Fatal(r[0].Err)
			}
			got := mp.WaitForCount(t, 1, 10*time.Second)
			raw, err := mp.Raw(ctx, got[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			v := verifyDKIM(t, raw, signer)
			if v.Err != nil {
				t.Fatalf("the message Mailpit received does not verify: %v", v.Err)
			}
		})
	}
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestSMTPMailpitTLSAndAuth(t *testing.T) {
	certFile, keyFile, pool := selfSignedCert(t, t.TempDir())
	tests := []struct {
		name string
		flag string
		mode TLSMode
	}{
		{"STARTTLS", "--smtp-require-starttls", TLSStartTLS},
		{"ImplicitTLS", "--smtp-require-tls", TLSImplicit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := testenv.Mailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, tt.flag,
				"--smtp-auth-accept-any")
			u := "smtp://sender%40example.com:p%40ss@" + mp.SMTPAddr() + "?tls=" + string(tt.mode)
			tr := newTestSMTP(t, SMTPConfig{URL: u, TLSConfig: &tls.Config{RootCAs: pool}})
			m := sampleMessage()
			if r := tr.Send(context.Background(), []*Message{m}); !r[0].OK() {
				t.Fatalf("send over %s with AUTH: %+v", tt.mode, r[0])
			}
			got := mp.WaitForCount(t, 1, 10*time.Second)
			if got[0].Username != "sender@example.com" {
				t.Errorf("SMTP AUTH user = %q, want sender@example.com", got[0].Username)
			}

			// Without the private CA the certificate is refused.
			strict := newTestSMTP(t, SMTPConfig{URL: u})
			if r := strict.Send(context.Background(), []*Message{sampleMessage()}); r[0].OK() || !r[0].Temporary {
				t.Errorf("untrusted certificate accepted: %+v", r[0])
			}
		})
	}
}
