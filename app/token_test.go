package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testKeyOld = bytes.Repeat([]byte("old-key-"), 4)
	testKeyNew = bytes.Repeat([]byte("new-key-"), 4)
)

func mustSigner(t testing.TB, keys ...[]byte) *Signer {
	t.Helper()
	s, err := NewSigner(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var testNow = time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)

func testTokens() map[string]Token {
	return map[string]Token{
		"confirm": {Purpose: TokenConfirm, SubscriberID: 123456, ConfirmationID: 987654,
			IssuedAt: testNow, ExpiresAt: testNow.Add(7 * 24 * time.Hour)},
		"unsubscribe": {Purpose: TokenUnsubscribe, SubscriberID: 123456, CampaignID: 4321, IssuedAt: testNow},
		"preferences": {Purpose: TokenPreferences, SubscriberID: 1, IssuedAt: testNow,
			ExpiresAt: testNow.Add(30 * 24 * time.Hour)},
		"revoke": {Purpose: TokenRevoke, SubscriberID: 2_000_000_000, IssuedAt: testNow,
			ExpiresAt: testNow.Add(30 * 24 * time.Hour)},
		"large ids": {Purpose: TokenUnsubscribe, SubscriberID: 1 << 40, CampaignID: 1 << 35,
			ConfirmationID: 1 << 33, IssuedAt: testNow},
		"bound preferences": {Purpose: TokenPreferences, SubscriberID: 77, IssuedAt: testNow,
			ExpiresAt: testNow.Add(4 * time.Hour), AddressTag: "0123456789abcdef"},
		"zero issued": {Purpose: TokenPreferences, SubscriberID: 5},
		"before epoch": {Purpose: TokenUnsubscribe, SubscriberID: 5,
			IssuedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		"negative id": {Purpose: TokenUnsubscribe, SubscriberID: -1, IssuedAt: testNow},
	}
}

func TestNewSigner(t *testing.T) {
	tests := []struct {
		name string
		keys [][]byte
		ok   bool
	}{
		{"no key", nil, false},
		{"short key", [][]byte{make([]byte, 31)}, false},
		{"short second key", [][]byte{testKeyNew, []byte("short")}, false},
		{"one key", [][]byte{testKeyNew}, true},
		{"two keys", [][]byte{testKeyNew, testKeyOld}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(tt.keys...)
			if (err == nil) != tt.ok || (s != nil) != tt.ok {
				t.Fatalf("NewSigner: %v, %v", s, err)
			}
		})
	}
}

func TestTokenRoundTrip(t *testing.T) {
	s := mustSigner(t, testKeyNew)
	for name, tok := range testTokens() {
		t.Run(name, func(t *testing.T) {
			raw := s.Sign(tok)
			if !tokenCharset(raw) {
				t.Fatalf("token %q has characters outside [A-Za-z0-9_-]", raw)
			}
			if name != "large ids" && name != "zero issued" && name != "negative id" && len(raw) >= 60 {
				t.Errorf("token %q is %d characters, want < 60", raw, len(raw))
			}
			got, err := s.Verify(raw, tok.Purpose, testNow)
			if err != nil {
				t.Fatalf("Verify(%q): %v", raw, err)
			}
			if got.Purpose != tok.Purpose || got.SubscriberID != tok.SubscriberID ||
				got.CampaignID != tok.CampaignID || got.ConfirmationID != tok.ConfirmationID ||
				!got.IssuedAt.Equal(tok.IssuedAt) || !got.ExpiresAt.Equal(tok.ExpiresAt) ||
				got.IssuedAt.IsZero() != tok.IssuedAt.IsZero() || got.ExpiresAt.IsZero() != tok.ExpiresAt.IsZero() ||
				got.AddressTag != tok.AddressTag {
				t.Errorf("got %+v, want %+v", got, tok)
			}
			if again := s.Sign(got); again != raw {
				t.Errorf("re-signing gave %q, want %q", again, raw)
			}
		})
	}
}

func TestTokenTimesTruncatedToSecond(t *testing.T) {
	s := mustSigner(t, testKeyNew)
	tok := Token{Purpose: TokenConfirm, SubscriberID: 1, IssuedAt: testNow.Add(900 * time.Millisecond),
		ExpiresAt: testNow.Add(time.Hour + 900*time.Millisecond)}
	got, err := s.Verify(s.Sign(tok), TokenConfirm, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !got.IssuedAt.Equal(testNow) || !got.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Errorf("got %v / %v", got.IssuedAt, got.ExpiresAt)
	}
}

func TestTokenTamper(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	s := mustSigner(t, testKeyNew)
	for name, tok := range testTokens() {
		t.Run(name, func(t *testing.T) {
			raw := s.Sign(tok)
			for i := range len(raw) {
				for _, c := range []byte(alphabet) {
					if c == raw[i] {
						continue
					}
					bad := raw[:i] + string(c) + raw[i+1:]
					if _, err := s.Verify(bad, tok.Purpose, testNow); !errors.Is(err, ErrTokenInvalid) {
						t.Fatalf("altered token %q (position %d) gave %v", bad, i, err)
					}
				}
			}
			for _, bad := range []string{raw[:len(raw)-1], raw[1:], raw + "A", raw + "AA", "A" + raw, raw + "=", raw[:10] + "\n" + raw[10:], " " + raw, raw + "."} {
				if _, err := s.Verify(bad, tok.Purpose, testNow); !errors.Is(err, ErrTokenInvalid) {
					t.Fatalf("malformed token %q gave %v", bad, err)
				}
			}
		})
	}
}

func TestTokenWrongPurpose(t *testing.T) {
	s := mustSigner(t, testKeyNew)
	purposes := []TokenPurpose{TokenConfirm, TokenUnsubscribe, TokenPreferences, TokenRevoke, "x", ""}
	for _, signed := range purposes[:4] {
		raw := s.Sign(Token{Purpose: signed, SubscriberID: 7, IssuedAt: testNow})
		for _, asked := range purposes {
			if asked == signed {
				continue
			}
			t.Run(string(signed)+" as "+string(asked), func(t *testing.T) {
				if _, err := s.Verify(raw, asked, testNow); !errors.Is(err, ErrTokenInvalid) {
					t.Fatalf("got %v", err)
				}
			})
		}
	}
}

func TestTokenSignUnknownPurposePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	mustSigner(t, testKeyNew).Sign(Token{Purpose: "x"})
}

func TestTokenExpiry(t *testing.T) {
	s := mustSigner(t, testKeyNew)
	tok := Token{Purpose: TokenConfirm, SubscriberID: 1, ConfirmationID: 9, IssuedAt: testNow,
		ExpiresAt: testNow.Add(7 * 24 * time.Hour)}
	raw := s.Sign(tok)
	tests := []struct {
		name    string
		now     time.Time
		expired bool
	}{
		{"at issue", testNow, false},
		{"a second before expiry", tok.ExpiresAt.Add(-time.Second), false},
		{"at expiry", tok.ExpiresAt, true},
		{"a year later", testNow.AddDate(1, 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Verify(raw, TokenConfirm, tt.now)
			if !tt.expired {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrTokenExpired) || errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("got %v, want ErrTokenExpired", err)
			}
			if ErrorCode(err) != EINVALID {
				t.Errorf("code %q", ErrorCode(err))
			}
			if got.ConfirmationID != 9 || got.SubscriberID != 1 {
				t.Errorf("expired token content not returned: %+v", got)
			}
		})
	}
	t.Run("no expiry works for years", func(t *testing.T) {
		raw := s.Sign(Token{Purpose: TokenUnsubscribe, SubscriberID: 1, CampaignID: 2, IssuedAt: testNow})
		if _, err := s.Verify(raw, TokenUnsubscribe, testNow.AddDate(20, 0, 0)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTokenKeyRotation(t *testing.T) {
	oldSigner := mustSigner(t, testKeyOld)
	rotated := mustSigner(t, testKeyNew, testKeyOld)
	other := mustSigner(t, bytes.Repeat([]byte("x"), 32))
	tok := Token{Purpose: TokenUnsubscribe, SubscriberID: 42, CampaignID: 7, IssuedAt: testNow}

	t.Run("old token verifies after rotation", func(t *testing.T) {
		got, err := rotated.Verify(oldSigner.Sign(tok), TokenUnsubscribe, testNow)
		if err != nil || got.SubscriberID != 42 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("new key signs", func(t *testing.T) {
		raw := rotated.Sign(tok)
		if raw == oldSigner.Sign(tok) {
			t.Fatal("rotated signer still signs with the old key")
		}
		if _, err := mustSigner(t, testKeyNew).Verify(raw, TokenUnsubscribe, testNow); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("new token not verified by old key alone", func(t *testing.T) {
		if _, err := oldSigner.Verify(rotated.Sign(tok), TokenUnsubscribe, testNow); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unknown key rejected", func(t *testing.T) {
		if _, err := rotated.Verify(other.Sign(tok), TokenUnsubscribe, testNow); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestKeyedHash(t *testing.T) {
	oldSigner := mustSigner(t, testKeyOld)
	rotated := mustSigner(t, testKeyNew, testKeyOld)
	h := oldSigner.KeyedHash("user@example.com")

	tests := []struct {
		name  string
		s     *Signer
		email string
		same  bool
	}{
		{"same address", oldSigner, "user@example.com", true},
		{"other spelling", oldSigner, "  User@EXAMPLE.com ", true},
		{"stable across rotation", rotated, "user@example.com", true},
		{"other address", oldSigner, "user2@example.com", false},
		{"other hash key", mustSigner(t, testKeyNew), "user@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.KeyedHash(tt.email)
			if (got == h) != tt.same {
				t.Errorf("KeyedHash(%q) = %s, base %s", tt.email, got, h)
			}
		})
	}
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("hash %q is not 64 hex digits", h)
	}
	if strings.Contains(h, "user") {
		t.Error("hash contains the address")
	}
	if oldSigner.KeyedHash("user@пример.рф") != oldSigner.KeyedHash("user@xn--e1afmkfd.xn--p1ai") {
		t.Error("IDN and punycode spellings hash differently")
	}
	if oldSigner.KeyedHash("Not An Address") != oldSigner.KeyedHash("not an address") {
		t.Error("invalid addresses are not lower-cased")
	}
}

func FuzzVerify(f *testing.F) {
	s := mustSigner(f, testKeyNew)
	for _, tok := range testTokens() {
		f.Add(s.Sign(tok))
	}
	f.Add("")
	f.Add("AAAA")
	f.Add(strings.Repeat("A", 60))
	f.Add("a+b/c==")
	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range []TokenPurpose{TokenConfirm, TokenUnsubscribe, TokenPreferences, TokenRevoke} {
			tok, err := s.Verify(raw, p, testNow)
			if err != nil {
				if !errors.Is(err, ErrTokenInvalid) && !errors.Is(err, ErrTokenExpired) {
					t.Fatalf("unexpected error %v", err)
				}
				continue
			}
			// Accepted: it can only be a token this signer produced.
			if again := s.Sign(tok); again != raw {
				t.Fatalf("accepted %q, which is not the canonical %q", raw, again)
			}
		}
	})
}

func TestAddressTag(t *testing.T) {
	s := mustSigner(t, testKeyNew, testKeyOld)
	tag := s.AddressTag("anna@example.com")
	if len(tag) != 16 {
		t.Fatalf("tag %q, want 16 hex characters", tag)
	}
	if !s.SameAddress(tag, " Anna@Example.COM ") {
		t.Error("another spelling of the same address differs")
	}
	for _, other := range []string{"anna@example.org", "anna2@example.com", ""} {
		if s.SameAddress(tag, other) {
			t.Errorf("%q matches the tag of anna@example.com", other)
		}
	}
	if s.SameAddress("", "anna@example.com") {
		t.Error("an empty tag matches")
	}
	if strings.HasPrefix(s.KeyedHash("anna@example.com"), tag) {
		t.Error("the tag is a prefix of the suppression hash")
	}
	// The tag survives adding a signing key in front, as the suppression
	// hash does; another installation's differs.
	if rotated := mustSigner(t, []byte("a-brand-new-signing-key-0123456789ab"), testKeyNew, testKeyOld); rotated.AddressTag("anna@example.com") != tag {
		t.Error("the tag changed when a key was added in front")
	}
	if mustSigner(t, testKeyNew).AddressTag("anna@example.com") == tag {
		t.Error("another key gives the same tag")
	}
	// A bound token's tag is signed: another tag cannot be put in.
	raw := s.Sign(Token{Purpose: TokenPreferences, SubscriberID: 1, IssuedAt: testNow, ExpiresAt: testNow.Add(time.Hour), AddressTag: tag})
	got, err := s.Verify(raw, TokenPreferences, testNow)
	if err != nil || got.AddressTag != tag {
		t.Fatalf("bound token: %+v %v", got, err)
	}
}
