package app

import (
	"crypto/hmac"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Fingerprint returns a keyed hash of value in a namespace (for example a
// rate-limit key from an IP address), so the value itself is never stored.
func (s *Signer) Fingerprint(namespace, value string) string {
	return hex.EncodeToString(hmacSHA256(s.hashKey, []byte("fp:"+namespace+":"+value)))[:32]
}

// FormStamp signs the time a form was served, to tell how long it took to
// fill it in.
func (s *Signer) FormStamp(at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 36)
	return ts + "." + s.Fingerprint("form-stamp", ts)[:16]
}

// FormAge returns how long ago a stamp was made; ok is false for a stamp
// that was not made by FormStamp.
func (s *Signer) FormAge(stamp string, now time.Time) (age time.Duration, ok bool) {
	ts, mac, found := strings.Cut(stamp, ".")
	if !found {
		return 0, false
	}
	if !hmac.Equal([]byte(mac), []byte(s.Fingerprint("form-stamp", ts)[:16])) {
		return 0, false
	}
	sec, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return 0, false
	}
	return now.Sub(time.Unix(sec, 0)), true
}
