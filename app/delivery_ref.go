package app

import (
	"crypto/hmac"
	"regexp"
	"strconv"
	"strings"
)

// Delivery references.
//
// Every campaign message names its delivery in a reference
// "d<delivery>.c<campaign>.<mac>": its Message-ID is the reference at the
// sender's domain, it is repeated in the X-Newsletter-Ref header (which
// providers echo), and with a VERP return path it is in the envelope sender
// too. The mac is a keyed hash of the two ids, so nobody can make up the
// reference of another person's delivery: a delivery report or a complaint
// that carries a valid reference proves that it is about a message we sent,
// and which one. A reference holds ids only, no personal data.

// DeliveryRefHeader is the header that carries the delivery reference of a
// campaign message.
const DeliveryRefHeader = "X-Newsletter-Ref"

// deliveryRefMACLen is the length of the mac in hex digits (64 bits).
const deliveryRefMACLen = 16

// maxRefHintBytes bounds the text searched for a reference in one value.
const maxRefHintBytes = 64 << 10

// DeliveryRef names one delivery of a campaign.
type DeliveryRef struct {
	DeliveryID int64
	CampaignID int64
}

// deliveryRefRe finds a reference inside a Message-ID, an address or a
// header value.
var deliveryRefRe = regexp.MustCompile(`(?i)\bd([0-9]{1,19})\.c([0-9]{1,19})\.([0-9a-f]{16})\b`)

// DeliveryRef returns the reference of a delivery.
func (s *Signer) DeliveryRef(deliveryID, campaignID int64) string {
	ids := "d" + strconv.FormatInt(deliveryID, 10) + ".c" + strconv.FormatInt(campaignID, 10)
	return ids + "." + s.deliveryRefMAC(ids)
}

func (s *Signer) deliveryRefMAC(ids string) string {
	return s.Fingerprint("delivery-ref", ids)[:deliveryRefMACLen]
}

// FindDeliveryRef looks for a valid delivery reference in each value (a
// Message-ID, a VERP address, a header) and returns the first one whose mac
// is right. A reference with a wrong mac is ignored: it proves nothing.
func (s *Signer) FindDeliveryRef(values ...string) (DeliveryRef, bool) {
	for _, v := range values {
		if len(v) > maxRefHintBytes {
			v = v[:maxRefHintBytes]
		}
		for _, m := range deliveryRefRe.FindAllStringSubmatch(v, 1000) {
			d, err1 := strconv.ParseInt(m[1], 10, 64)
			c, err2 := strconv.ParseInt(m[2], 10, 64)
			if err1 != nil || err2 != nil || d <= 0 || c <= 0 {
				continue
			}
			ids := "d" + m[1] + ".c" + m[2]
			if hmac.Equal([]byte(strings.ToLower(m[3])), []byte(s.deliveryRefMAC(ids))) {
				return DeliveryRef{DeliveryID: d, CampaignID: c}, true
			}
		}
	}
	return DeliveryRef{}, false
}

// VERPAddress returns the envelope sender that names a delivery: the local
// part of returnPath, "+", the reference, at its domain. It returns "" when
// returnPath is not an address.
func VERPAddress(returnPath, ref string) string {
	i := strings.LastIndexByte(returnPath, '@')
	if i <= 0 || ref == "" {
		return ""
	}
	return returnPath[:i] + "+" + ref + returnPath[i:]
}
