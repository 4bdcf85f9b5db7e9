package mail

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIMSigner signs outgoing messages with one DKIM key (RFC 6376): sha256,
// relaxed/relaxed canonicalization, and h= listing every header field Build
// writes (From, To, Subject, Date, Message-ID, MIME-Version, Content-Type and,
// when present, In-Reply-To, References, List-Id, List-Unsubscribe,
// List-Unsubscribe-Post, Auto-Submitted and the extra headers). A DKIMSigner
// is safe for concurrent use.
type DKIMSigner struct {
	domain   string
	selector string
	key      crypto.Signer
}

// NewDKIMSigner returns a signer for domain (d=) and selector (s=) with the
// private key in keyPEM: RSA in PKCS #1 ("RSA PRIVATE KEY") or PKCS #8
// ("PRIVATE KEY"), or Ed25519 in PKCS #8. RSA keys shorter than 1024 bits are
// refused, since verifiers ignore them.
func NewDKIMSigner(domain, selector string, keyPEM []byte) (*DKIMSigner, error) {
	domain = strings.TrimSuffix(strings.TrimSpace(domain), ".")
	selector = strings.TrimSpace(selector)
	if !validDNSName(domain) {
		return nil, fmt.Errorf("dkim: domain %q is not a valid domain name", domain)
	}
	if !validDNSName(selector) {
		return nil, fmt.Errorf("dkim: selector %q is not valid", selector)
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("dkim: private key: %w", err)
	}
	if k, ok := key.(*rsa.PrivateKey); ok && k.N.BitLen() < 1024 {
		return nil, fmt.Errorf("dkim: RSA key has %d bits, at least 1024 (better 2048) are required", k.N.BitLen())
	}
	return &DKIMSigner{domain: domain, selector: selector, key: key}, nil
}

// Domain returns the signing domain (d=).
func (s *DKIMSigner) Domain() string { return s.domain }

// Selector returns the selector (s=).
func (s *DKIMSigner) Selector() string { return s.selector }

// RecordName returns the DNS name where the public key must be published:
// SELECTOR._domainkey.DOMAIN.
func (s *DKIMSigner) RecordName() string {
	return s.selector + "._domainkey." + s.domain
}

// TXTRecord returns the DNS TXT record value that publishes the public key,
// such as "v=DKIM1; k=rsa; p=MIIB...".
func (s *DKIMSigner) TXTRecord() string {
	switch pub := s.key.Public().(type) {
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	default:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil { // cannot happen for the RSA keys NewDKIMSigner accepts
			return ""
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	}
}

// sign returns raw with a DKIM-Signature header prepended, covering the header
// fields named in keys.
func (s *DKIMSigner) sign(raw []byte, keys []string) ([]byte, error) {
	opts := dkim.SignOptions{
		Domain:                 s.domain,
		Selector:               s.selector,
		Signer:                 s.key,
		Hash:                   crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             keys,
	}
	signer, err := dkim.NewSigner(&opts)
	if err != nil {
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	if _, err := signer.Write(raw); err != nil {
		_ = signer.Close()
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	if err := signer.Close(); err != nil {
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	sig := signer.Signature()
	out := make([]byte, 0, len(sig)+len(raw))
	out = append(out, sig...)
	return append(out, raw...), nil
}

// parsePrivateKey reads an RSA or Ed25519 private key from PEM.
func parsePrivateKey(pemBytes []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case ed25519.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("unsupported key type %T (want RSA or Ed25519)", key)
		}
	default:
		return nil, fmt.Errorf("unsupported PEM block %q (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
}

// validDNSName reports whether s is a plausible DNS name: dot-separated labels
// of letters, digits, hyphens and underscores.
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
