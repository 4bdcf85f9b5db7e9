package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Signed links.
//
// A token is a compact binary payload followed by a truncated HMAC-SHA256,
// encoded as unpadded base64url (characters A-Z a-z 0-9 _ -), short enough
// for a List-Unsubscribe header. Layout of the payload:
//
//	version (1 byte, currently 1)
//	key id (1 byte, derived from the signing key)
//	purpose (1 byte: 'c', 'u', 'p', 'r' or 'e')
//	flags (1 byte: bit 0 = has an expiry, bit 1 = bound to an address)
//	subscriber id, campaign id, confirmation id (uvarint each)
//	issued at (varint, seconds since 2025-01-01 UTC)
//	expires at (varint, seconds after issued at; only with flag bit 0)
//	address tag (8 bytes; only with flag bit 1)
//
// then 16 bytes of HMAC-SHA256 over the payload with a subkey of the signing
// key. Times are kept to the second.

// TokenPurpose says what a signed link may be used for; a token of one
// purpose never verifies as another.
type TokenPurpose string

// Token purposes.
const (
	// TokenConfirm confirms a subscription (double opt-in); it names the
	// pending confirmation in ConfirmationID and expires.
	TokenConfirm TokenPurpose = "c"
	// TokenUnsubscribe names a person and the campaign whose mail carried
	// it; it never expires.
	TokenUnsubscribe TokenPurpose = "u"
	// TokenPreferences names a person's preference centre. Only a token
	// bound to the address on file (AddressTag) and with an expiry opens
	// it; one without an address tag (bulk mail, and the links mailed
	// before tokens were bound) can only have a new link mailed to the
	// address on file.
	TokenPreferences TokenPurpose = "p"
	// TokenRevoke confirms a revocation of consent asked for by email.
	TokenRevoke TokenPurpose = "r"
	// TokenExport opens a person's data export mailed to them; it expires
	// and is bound to the address it was mailed to.
	TokenExport TokenPurpose = "e"
)

func (p TokenPurpose) valid() bool {
	switch p {
	case TokenConfirm, TokenUnsubscribe, TokenPreferences, TokenRevoke, TokenExport:
		return true
	}
	return false
}

// Token is the signed content of a link.
type Token struct {
	Purpose        TokenPurpose
	SubscriberID   int64
	CampaignID     int64
	ConfirmationID int64
	IssuedAt       time.Time
	ExpiresAt      time.Time // zero: never expires
	// AddressTag binds the token to the address it was mailed to
	// (Signer.AddressTag): "" for none. A change of address voids it.
	AddressTag string
}

// Errors of Verify. Both have code EINVALID; ErrTokenExpired is distinct so a
// page can offer a new link.
var (
	ErrTokenInvalid = &Error{Code: EINVALID, Message: "This link is invalid."}
	ErrTokenExpired = &Error{Code: EINVALID, Message: "This link has expired."}
)

const (
	tokenVersion    = 1
	tokenMACLen     = 16
	tokenHeaderLen  = 4
	tokenMinKeyLen  = 32
	tokenMaxLen     = 128 // characters; real tokens are far shorter
	tokenFlagExpiry = 1
	tokenFlagTag    = 2
	tokenTagLen     = 8          // bytes of an address tag
	tokenEpoch      = 1735689600 // 2025-01-01T00:00:00Z
)

// tokenEncoding refuses non-zero padding bits, so every change of a
// character changes the decoded bytes.
var tokenEncoding = base64.RawURLEncoding.Strict()

// Signer signs and verifies tokens and computes keyed hashes of addresses.
// It is safe for concurrent use.
type Signer struct {
	keys    []signerKey // keys[0] signs; all verify
	hashKey []byte
	tagKey  []byte
}

type signerKey struct {
	id  byte
	mac []byte
}

// NewSigner returns a Signer for keys of at least 32 bytes each. The first key
// signs new tokens; every key verifies, so rotating means putting a new key
// first and keeping the old ones after it for as long as their links should
// keep working (unsubscribe links: for good).
//
// Keys are not used directly: each is expanded with HMAC-SHA256 into a
// token subkey ("newsletter token v1") and a one-byte key id, which tells
// Verify which key signed a token.
//
// The key of KeyedHash is derived ("newsletter suppression v1") from the LAST
// key, which is the first key ever used when keys are rotated as above. It
// does not change while new keys are added in front, so the suppression list
// keeps matching; dropping or replacing the last key changes every hash.
func NewSigner(keys ...[]byte) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("signer: no key")
	}
	s := &Signer{keys: make([]signerKey, 0, len(keys))}
	for i, k := range keys {
		if len(k) < tokenMinKeyLen {
			return nil, fmt.Errorf("signer: key %d is %d bytes, want at least %d", i, len(k), tokenMinKeyLen)
		}
		s.keys = append(s.keys, signerKey{
			id:  hmacSHA256(k, []byte("newsletter key id v1"))[0],
			mac: hmacSHA256(k, []byte("newsletter token v1")),
		})
	}
	s.hashKey = hmacSHA256(keys[len(keys)-1], []byte("newsletter suppression v1"))
	s.tagKey = hmacSHA256(keys[len(keys)-1], []byte("newsletter address tag v1"))
	return s, nil
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Sign returns the token t as a URL-safe string of about 40 to 60
// characters (about 70 with an address tag). Times are truncated to the
// second. Sign panics if t.Purpose is not one of the TokenPurpose constants,
// or t.AddressTag is not one Signer.AddressTag made: those are programming
// errors.
func (s *Signer) Sign(t Token) string {
	if !t.Purpose.valid() {
		panic(fmt.Sprintf("app: Sign: unknown token purpose %q", string(t.Purpose)))
	}
	k := s.keys[0]
	var flags byte
	if !t.ExpiresAt.IsZero() {
		flags |= tokenFlagExpiry
	}
	var tag []byte
	if t.AddressTag != "" {
		var err error
		if tag, err = hex.DecodeString(t.AddressTag); err != nil || len(tag) != tokenTagLen {
			panic("app: Sign: malformed address tag")
		}
		flags |= tokenFlagTag
	}
	b := make([]byte, 0, 64)
	b = append(b, tokenVersion, k.id, t.Purpose[0], flags)
	b = binary.AppendUvarint(b, uint64(t.SubscriberID))
	b = binary.AppendUvarint(b, uint64(t.CampaignID))
	b = binary.AppendUvarint(b, uint64(t.ConfirmationID))
	issued := t.IssuedAt.Unix()
	b = binary.AppendVarint(b, issued-tokenEpoch)
	if flags&tokenFlagExpiry != 0 {
		b = binary.AppendVarint(b, t.ExpiresAt.Unix()-issued)
	}
	b = append(b, tag...)
	b = append(b, hmacSHA256(k.mac, b)[:tokenMACLen]...)
	return tokenEncoding.EncodeToString(b)
}

// Verify checks raw's signature against every key, then its purpose and
// expiry at now, and returns its content. A malformed or altered token, one
// signed with an unknown key, or one of another purpose gives ErrTokenInvalid;
// an expired one gives ErrTokenExpired together with the token's content
// (its signature is valid, so the caller may use it to offer a new link).
func (s *Signer) Verify(raw string, purpose TokenPurpose, now time.Time) (Token, error) {
	if len(raw) == 0 || len(raw) > tokenMaxLen || !tokenCharset(raw) {
		return Token{}, ErrTokenInvalid
	}
	b, err := tokenEncoding.DecodeString(raw)
	if err != nil || len(b) < tokenHeaderLen+tokenMACLen {
		return Token{}, ErrTokenInvalid
	}
	payload, mac := b[:len(b)-tokenMACLen], b[len(b)-tokenMACLen:]
	if payload[0] != tokenVersion {
		return Token{}, ErrTokenInvalid
	}
	signed := false
	for _, k := range s.keys {
		if k.id == payload[1] && hmac.Equal(hmacSHA256(k.mac, payload)[:tokenMACLen], mac) {
			signed = true
			break
		}
	}
	if !signed {
		return Token{}, ErrTokenInvalid
	}
	t, ok := decodeTokenPayload(payload)
	if !ok || t.Purpose != purpose {
		return Token{}, ErrTokenInvalid
	}
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return t, ErrTokenExpired
	}
	return t, nil
}

func tokenCharset(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func decodeTokenPayload(b []byte) (Token, bool) {
	var t Token
	t.Purpose = TokenPurpose(string(b[2:3]))
	flags := b[3]
	if !t.Purpose.valid() || flags&^(tokenFlagExpiry|tokenFlagTag) != 0 {
		return Token{}, false
	}
	b = b[tokenHeaderLen:]
	uv := func() (int64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return int64(v), true
	}
	sv := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	var ok1, ok2, ok3 bool
	t.SubscriberID, ok1 = uv()
	t.CampaignID, ok2 = uv()
	t.ConfirmationID, ok3 = uv()
	issued, ok4 := sv()
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return Token{}, false
	}
	issued += tokenEpoch
	t.IssuedAt = time.Unix(issued, 0).UTC()
	if flags&tokenFlagExpiry != 0 {
		d, ok := sv()
		if !ok {
			return Token{}, false
		}
		t.ExpiresAt = time.Unix(issued+d, 0).UTC()
	}
	if flags&tokenFlagTag != 0 {
		if len(b) < tokenTagLen {
			return Token{}, false
		}
		t.AddressTag, b = hex.EncodeToString(b[:tokenTagLen]), b[tokenTagLen:]
	}
	if len(b) != 0 {
		return Token{}, false
	}
	return t, true
}

// KeyedHash returns a keyed hash (HMAC-SHA256, hex) of an email address, for
// the suppression list: it matches the same address again without storing
// it. The address is normalized first (NormalizeEmail; an address that does
// not normalize is only trimmed and lower-cased), so every spelling of one
// address hashes alike. The key stays the same across key rotation (see
// NewSigner).
func (s *Signer) KeyedHash(email string) string {
	canon, err := NormalizeEmail(email)
	if err != nil {
		canon = strings.ToLower(strings.TrimSpace(email))
	}
	return hex.EncodeToString(hmacSHA256(s.hashKey, []byte(canon)))
}

// AddressTag returns a short keyed tag (16 hex characters) of an email
// address, normalized as KeyedHash does, for binding a link to the address
// it was mailed to. Its key is derived from the same key as KeyedHash's,
// for another purpose, so tags and suppression hashes cannot be compared.
func (s *Signer) AddressTag(email string) string {
	canon, err := NormalizeEmail(email)
	if err != nil {
		canon = strings.ToLower(strings.TrimSpace(email))
	}
	return hex.EncodeToString(hmacSHA256(s.tagKey, []byte(canon))[:tokenTagLen])
}

// SameAddress reports, in constant time, whether tag is the AddressTag of
// email.
func (s *Signer) SameAddress(tag, email string) bool {
	return tag != "" && hmac.Equal([]byte(tag), []byte(s.AddressTag(email)))
}
