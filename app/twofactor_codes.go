package app

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The codes of two-factor sign-in: the sealed TOTP secret, the codes of
// the app, the recovery codes, and the throttle of wrong codes.

const (
	totpPeriod         = 30
	recoveryCodeCount  = 10
	recoveryCodeLength = 10
	// totpSkew is how many steps before and after now a code may be of,
	// for a phone's clock a little off.
	totpSkew = 1
)

// ErrBadCode answers a wrong, expired or already used code.
var ErrBadCode = &Error{Code: EINVALID, Message: "Wrong code, or a code already used.", Fields: map[string]string{"code": "wrong or already used"}}

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// sealKey is the key that seals TOTP secrets: derived from the signing
// key that keyed hashes use, so it survives the rotation of signing keys
// (see NewSigner).
func (s *Signer) sealKey() []byte { return hmacSHA256(s.hashKey, []byte("newsletter totp seal v1")) }

func (a *AdminAuth) sealKey() []byte {
	if a.Keys != nil {
		return a.Keys.sealKey()
	}
	a.localKeyOnce.Do(func() { a.localKey = []byte(RandomSecret(32)) })
	return hmacSHA256(a.localKey, []byte("newsletter totp seal v1"))
}

// seal encrypts a TOTP secret with AES-256-GCM: base64(nonce|ciphertext).
func (a *AdminAuth) seal(secret string) (string, error) {
	block, err := aes.NewCipher(a.sealKey())
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	return base64.RawStdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(secret), []byte("totp"))), nil
}

func (a *AdminAuth) unseal(sealed string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return "", fmt.Errorf("unseal: %w", err)
	}
	block, err := aes.NewCipher(a.sealKey())
	if err != nil {
		return "", fmt.Errorf("unseal: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", fmt.Errorf("unseal: %w", err)
	}
	if len(raw) < gcm.NonceSize() {
		return "", errors.New("unseal: too short")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte("totp"))
	if err != nil {
		return "", fmt.Errorf("unseal: %w", err)
	}
	return string(plain), nil
}

// newTOTPSecret is 160 random bits in base32, as RFC 4226 recommends.
func newTOTPSecret() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system has no randomness: nothing is safe
	}
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

func (a *AdminAuth) issuer() string {
	if a.Issuer != "" {
		return a.Issuer
	}
	return "Newsletter"
}

// enrolment describes secret for an app: the otpauth URL and its QR code.
func (a *AdminAuth) enrolment(admin *Admin, secret string) (*Enrolment, error) {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", a.issuer())
	v.Set("algorithm", "SHA1")
	v.Set("digits", "6")
	v.Set("period", strconv.Itoa(totpPeriod))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + a.issuer() + ":" + admin.Email, RawQuery: v.Encode()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return nil, fmt.Errorf("totp key: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return &Enrolment{Secret: secret, URL: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// normalizeCode drops the spaces and dashes people type in codes.
func normalizeCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// matchTOTP returns the time step whose code is code, when that step is
// within totpSkew of now and later than lastStep.
func (a *AdminAuth) matchTOTP(secret, code string, lastStep int64) (int64, bool) {
	code = normalizeCode(code)
	if len(code) != 6 || !isDigits(code) {
		return 0, false
	}
	now := a.Now.Now().Unix() / totpPeriod
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// CodeFor returns the app's code for secret at t (for tests and tools).
func CodeFor(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRecoveryCodes makes the recovery codes ("xxxxx-xxxxx", about 49 bits
// each) and their keyed hashes.
func (a *AdminAuth) newRecoveryCodes(adminID int64) (codes, hashes []string) {
	for range recoveryCodeCount {
		b := make([]byte, recoveryCodeLength)
		if _, err := rand.Read(b); err != nil {
			panic(err)
		}
		for i := range b {
			b[i] = recoveryAlphabet[int(b[i])%len(recoveryAlphabet)]
		}
		code := string(b[:5]) + "-" + string(b[5:])
		codes = append(codes, code)
		hashes = append(hashes, a.recoveryHash(adminID, code))
	}
	return codes, hashes
}

func (a *AdminAuth) recoveryHash(adminID int64, code string) string {
	return a.key("admin-recovery-code", strconv.FormatInt(adminID, 10)+"|"+normalizeCode(code))
}

// checkSecondFactor takes code as a code of admin's app or as one of
// their recovery codes: "totp" or "recovery code" when it was one (now
// used), "" when not.
func (a *AdminAuth) checkSecondFactor(ctx context.Context, admin *Admin, code string) (string, error) {
	f := a.Store.TwoFactor()
	sec, err := f.TwoFactorSecret(ctx, admin.ID)
	if IsNotFound(err) || (err == nil && sec.ConfirmedAt == nil) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	c := normalizeCode(code)
	switch {
	case len(c) == 6 && isDigits(c):
		secret, err := a.unseal(sec.Sealed)
		if err != nil {
			return "", err
		}
		step, ok := a.matchTOTP(secret, c, sec.LastStep)
		if !ok {
			return "", nil
		}
		// Taken once: a second request with the same code loses here.
		if taken, err := f.TakeTwoFactorStep(ctx, admin.ID, step); err != nil || !taken {
			return "", err
		}
		return "totp", nil
	case len(c) == recoveryCodeLength:
		used, err := f.UseRecoveryCode(ctx, admin.ID, a.recoveryHash(admin.ID, c), a.Now.Now())
		if err != nil || !used {
			return "", err
		}
		left, err := f.RecoveryCodesLeft(ctx, admin.ID)
		if err != nil {
			return "", err
		}
		if err := a.audit(ctx, admin, "admin_recovery_code_used", admin.ID, fmt.Sprintf("recovery codes left: %d", left)); err != nil {
			return "", err
		}
		return "recovery code", nil
	}
	return "", nil
}

// codeAccount is the throttle key of an admin's second factor.
func (a *AdminAuth) codeAccount(admin *Admin) string {
	return a.key("admin-second-factor", strconv.FormatInt(admin.ID, 10))
}

// codeThrottle refuses a code while the admin's second factor must wait.
func (a *AdminAuth) codeThrottle(ctx context.Context, admin *Admin) error {
	rec, err := a.Store.Logins().LoginRecord(ctx, a.codeAccount(admin), allSources)
	if err != nil {
		return err
	}
	if now := a.Now.Now(); rec.blocked(now) {
		return &ThrottledError{Wait: rec.BlockedUntil.Sub(now)}
	}
	return nil
}

// codeFailed counts a wrong code like a wrong password: after MaxFailures
// in a row, the second factor of the account waits FirstDelay, doubled
// per further failure up to Lockout. Only someone who knew the password
// got here.
func (a *AdminAuth) codeFailed(ctx context.Context, admin *Admin) error {
	now := a.Now.Now()
	account := a.codeAccount(admin)
	n, err := a.Store.Logins().AddLoginFailure(ctx, account, allSources, now, now.Add(-failureMemory))
	if err != nil {
		return err
	}
	d := a.delay(n, a.maxFailures())
	if d == 0 {
		return ErrBadCode
	}
	if err := a.Store.Logins().BlockLogin(ctx, account, allSources, now.Add(d)); err != nil {
		return err
	}
	if err := a.audit(ctx, nil, "admin_second_factor_throttled", admin.ID, "codes wait "+d.String()); err != nil {
		return err
	}
	return &ThrottledError{Wait: d}
}

func (a *AdminAuth) codeSucceeded(ctx context.Context, admin *Admin) error {
	return a.Store.Logins().LoginSucceeded(ctx, a.codeAccount(admin), allSources, a.Now.Now())
}
