package app

import (
	"context"
	"crypto/hmac"
	"encoding/binary"
	"html"
	"regexp"
	"strings"
)

// Aggregate click counts. A campaign with TrackClicks has the links of its
// body rewritten, once per campaign and language (not per recipient), to
// /l/{id}, where id is signed and names the campaign and the link's index
// in it. Following it adds one to that link's counter and redirects to the
// link. Nothing names the person: no subscriber id, no address, no cookie,
// no time of the click. The footer's links (unsubscribe, preferences,
// policy) are outside the body and never rewritten, nor is any link with a
// merge field in it.

// CampaignLink is one counted link of a campaign and how often it was
// followed.
type CampaignLink struct {
	Index  int    `json:"index"`
	URL    string `json:"url"`
	Clicks int64  `json:"clicks"`
}

// hrefPattern finds the href of an <a> tag, quoted.
var hrefPattern = regexp.MustCompile(`(?is)(<a\s[^>]*?\bhref\s*=\s*)("[^"]*"|'[^']*')`)

// maxTrackedURL is the longest link that is counted; longer ones stay as
// written.
const maxTrackedURL = 2000

// trackable reports whether a link (unescaped) is counted: an absolute
// http or https URL with no merge field in it.
func trackable(u string) bool {
	l := strings.ToLower(u)
	return (strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")) &&
		!strings.Contains(u, "{{") && !strings.Contains(l, "%7b%7b") && len(u) <= maxTrackedURL && !strings.ContainsAny(u, " \t\r\n<>\"")
}

// rewriteLinks replaces each counted link of body's <a> tags by fn's
// answer for it (the link unescaped); the rest of body stays as written.
func rewriteLinks(body string, fn func(u string) string) string {
	return hrefPattern.ReplaceAllStringFunc(body, func(m string) string {
		sub := hrefPattern.FindStringSubmatch(m)
		quoted := sub[2]
		u := html.UnescapeString(strings.TrimSpace(quoted[1 : len(quoted)-1]))
		if !trackable(u) {
			return m
		}
		return sub[1] + `"` + html.EscapeString(fn(u)) + `"`
	})
}

// TrackedLinks returns the links of c's bodies that are counted, by
// index: each language's links in order (the default language first),
// each URL once, so the same link in two languages has one counter.
func TrackedLinks(c *Campaign) ([]string, error) {
	var urls []string
	seen := map[string]bool{}
	for _, lang := range c.Languages() {
		lc, _, _, err := c.inLanguage(lang)
		if err != nil {
			return nil, err
		}
		rewriteLinks(lc.BodyHTML, func(u string) string {
			if !seen[u] {
				seen[u] = true
				urls = append(urls, u)
			}
			return u
		})
	}
	return urls, nil
}

// CompileTrackedCampaign compiles c as CompileCampaign does; when c has
// TrackClicks, the counted links of each language's body are first
// rewritten to linkURL(index), and the links are returned by index: the
// caller registers them (CampaignStore.RegisterCampaignLinks) before any
// message goes out.
func CompileTrackedCampaign(c *Campaign, op Operator, textFromHTML func(string) string, frame Frame,
	linkURL func(index int) string) (*CampaignTemplate, []string, error) {
	if !c.TrackClicks {
		t, err := CompileCampaign(c, op, textFromHTML, frame)
		return t, nil, err
	}
	urls, err := TrackedLinks(c)
	if err != nil {
		return nil, nil, err
	}
	index := make(map[string]int, len(urls))
	for i, u := range urls {
		index[u] = i
	}
	t, err := compileLanguages(c, op, textFromHTML, frame, c.Languages(), func(body string) string {
		return rewriteLinks(body, func(u string) string { return linkURL(index[u]) })
	})
	if err != nil {
		return nil, nil, err
	}
	return t, urls, nil
}

// Click link ids: version (1 byte), key id (1 byte), campaign id and link
// index (uvarint each), then 12 bytes of HMAC-SHA256 under a subkey of
// the signing key ("newsletter click link v1"), unpadded base64url.
const (
	clickVersion = 1
	clickMACLen  = 12
	clickMaxLen  = 64
)

func (k signerKey) clickMAC(payload []byte) []byte {
	return hmacSHA256(hmacSHA256(k.mac, []byte("newsletter click link v1")), payload)[:clickMACLen]
}

// ClickID signs the link with index of a campaign: the id of its /l/ URL.
func (s *Signer) ClickID(campaignID int64, index int) string {
	k := s.keys[0]
	b := []byte{clickVersion, k.id}
	b = binary.AppendUvarint(b, uint64(campaignID))
	b = binary.AppendUvarint(b, uint64(index))
	return tokenEncoding.EncodeToString(append(b, k.clickMAC(b)...))
}

// VerifyClickID returns the campaign and link index a ClickID names;
// ErrTokenInvalid when it is malformed, altered or signed by no key of s.
func (s *Signer) VerifyClickID(id string) (campaignID int64, index int, err error) {
	if len(id) == 0 || len(id) > clickMaxLen || !tokenCharset(id) {
		return 0, 0, ErrTokenInvalid
	}
	b, err := tokenEncoding.DecodeString(id)
	if err != nil || len(b) < 2+2+clickMACLen || b[0] != clickVersion {
		return 0, 0, ErrTokenInvalid
	}
	payload, mac := b[:len(b)-clickMACLen], b[len(b)-clickMACLen:]
	for _, k := range s.keys {
		if k.id != payload[1] || !hmac.Equal(k.clickMAC(payload), mac) {
			continue
		}
		rest := payload[2:]
		c, n := binary.Uvarint(rest)
		if n <= 0 || c == 0 || c > 1<<62 {
			return 0, 0, ErrTokenInvalid
		}
		i, m := binary.Uvarint(rest[n:])
		if m <= 0 || n+m != len(rest) || i > 1<<20 {
			return 0, 0, ErrTokenInvalid
		}
		return int64(c), int(i), nil
	}
	return 0, 0, ErrTokenInvalid
}

// Click is the counted /l/ URL of a campaign's link.
func (l *Links) Click(campaignID int64, index int) string {
	return l.url("/l/" + l.Signer.ClickID(campaignID, index))
}

// Clicks counts followed links of campaigns.
type Clicks struct {
	Store  Store
	Signer *Signer
	// CountFailed, when set, hears of a click that could not be counted
	// (the person is redirected all the same); it gets the link id only.
	CountFailed func(id string, err error)
}

// Follow counts one click of the link id names and returns its URL. A
// forged, altered or unknown id is ENOTFOUND. When counting fails the URL
// is still returned, so the redirect works.
func (s *Clicks) Follow(ctx context.Context, id string) (string, error) {
	campaignID, index, err := s.Signer.VerifyClickID(id)
	if err != nil {
		return "", Errorf(ENOTFOUND, "This link is unknown.")
	}
	u, err := s.Store.Campaigns().CountClick(ctx, campaignID, index)
	if err == nil || ErrorCode(err) == ENOTFOUND {
		return u, err
	}
	if s.CountFailed != nil {
		s.CountFailed(id, err)
	}
	return s.Store.Campaigns().CampaignLinkURL(ctx, campaignID, index)
}
