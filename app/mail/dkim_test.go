package mail

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// testRSAKey is one RSA-2048 key shared by the tests (generation is slow).
var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// rsaPKCS1PEM, rsaPKCS8PEM and ed25519PEM encode test keys.
func rsaPKCS1PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testRSAKey())})
}

func rsaPKCS8PEM(t testing.TB) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(testRSAKey())
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func ed25519PEM(t testing.TB) []byte {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// verifyDKIM checks every DKIM signature of raw against the signer's
// published key and returns the single verification.
func verifyDKIM(t testing.TB, raw []byte, s *DKIMSigner) *dkim.Verification {
	t.Helper()
	lookups := 0
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) {
			lookups++
			if domain != s.RecordName() {
				return nil, fmt.Errorf("no TXT record for %s", domain)
			}
			return []string{s.TXTRecord()}, nil
		},
	})
	if err != nil {
		t.Fatalf("dkim verify: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("%d signatures, want 1", len(vs))
	}
	if lookups == 0 {
		t.Fatal("the key was never looked up")
	}
	return vs[0]
}

func TestDKIMSignAndVerify(t *testing.T) {
	keys := map[string][]byte{
		"RSA-PKCS1": rsaPKCS1PEM(),
		"RSA-PKCS8": rsaPKCS8PEM(t),
		"Ed25519":   ed25519PEM(t),
	}
	for name, keyPEM := range keys {
		t.Run(name, func(t *testing.T) {
			s, err := NewDKIMSigner("example.com", "news2026", keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			m := sampleMessage()
			m.Subject = "Специальные предложения"
			m.ToName = "Иван"
			m.InReplyTo = "req@example.org"
			m.Headers = map[string]string{"Reply-To": "ops@example.com"}
			raw, err := Build(m, s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(raw, []byte("DKIM-Signature: ")) {
				t.Fatalf("message does not start with the signature:\n%s", raw[:200])
			}
			v := verifyDKIM(t, raw, s)
			if v.Err != nil {
				t.Fatalf("signature does not verify: %v", v.Err)
			}
			if v.Domain != "example.com" {
				t.Errorf("d= %q", v.Domain)
			}
			signed := make([]string, len(v.HeaderKeys))
			for i, k := range v.HeaderKeys {
				signed[i] = strings.ToLower(k)
			}
			for _, k := range []string{"from", "to", "subject", "date", "message-id", "mime-version",
				"content-type", "list-id", "list-unsubscribe", "list-unsubscribe-post", "in-reply-to", "reply-to"} {
				if !slices.Contains(signed, k) {
					t.Errorf("h= %v lacks %s", v.HeaderKeys, k)
				}
			}
			sigHeader := string(raw[:bytes.Index(raw, []byte("\r\nFrom:"))])
			if !strings.Contains(sigHeader, "c=relaxed/relaxed") {
				t.Errorf("not relaxed/relaxed: %s", sigHeader)
			}
			// Still a well-formed message for an ordinary reader.
			parse(t, raw)

			// Tampering breaks it: the body, and a signed header.
			for what, tampered := range map[string][]byte{
				"body":        bytes.Replace(raw, []byte("Spring"), []byte("Autumn"), 1),
				"unsubscribe": bytes.Replace(raw, []byte("u/TOKEN123"), []byte("u/TOKEN999"), 1),
			} {
				if bytes.Equal(tampered, raw) {
					t.Fatalf("tampering %s changed nothing", what)
				}
				if v := verifyDKIM(t, tampered, s); v.Err == nil {
					t.Errorf("tampered %s still verifies", what)
				}
			}
		})
	}
}

func TestDKIMOmitsAbsentHeaders(t *testing.T) {
	s, err := NewDKIMSigner("example.com", "sel", ed25519PEM(t))
	if err != nil {
		t.Fatal(err)
	}
	m := sampleMessage()
	m.ListID, m.ListUnsubscribeURL, m.ListUnsubscribeMailto = "", "", ""
	raw, err := Build(m, s)
	if err != nil {
		t.Fatal(err)
	}
	v := verifyDKIM(t, raw, s)
	if v.Err != nil {
		t.Fatal(v.Err)
	}
	for _, k := range v.HeaderKeys {
		if strings.HasPrefix(strings.ToLower(k), "list-") {
			t.Errorf("h= names absent header %s", k)
		}
	}
}

func TestNewDKIMSignerErrors(t *testing.T) {
	tests := []struct {
		name, domain, selector string
		key                    []byte
	}{
		{"NoPEM", "example.com", "s", []byte("not a key")},
		{"WrongBlock", "example.com", "s", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})},
		{"Garbage", "example.com", "s", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})},
		{"NoDomain", "", "s", rsaPKCS1PEM()},
		{"BadSelector", "example.com", "a b", rsaPKCS1PEM()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewDKIMSigner(tt.domain, tt.selector, tt.key); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestDKIMTXTRecord(t *testing.T) {
	s, err := NewDKIMSigner("Example.com.", "news", rsaPKCS1PEM())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.RecordName(); got != "news._domainkey.Example.com" {
		t.Errorf("RecordName = %q", got)
	}
	if rec := s.TXTRecord(); !strings.HasPrefix(rec, "v=DKIM1; k=rsa; p=MII") {
		t.Errorf("TXTRecord = %q", rec)
	}
}
