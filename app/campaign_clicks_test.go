package app

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestClickIDSignature: a click id names its campaign and link under
// every key of the signer, and an altered, truncated, foreign or
// other-purpose id is refused.
func TestClickIDSignature(t *testing.T) {
	oldS := mustSigner(t, testKeyOld)
	rotated := mustSigner(t, testKeyNew, testKeyOld)
	for _, tc := range []struct {
		campaign int64
		index    int
	}{{1, 0}, {42, 7}, {1 << 40, 1000}} {
		id := oldS.ClickID(tc.campaign, tc.index)
		for name, s := range map[string]*Signer{"same": oldS, "rotated": rotated} {
			c, i, err := s.VerifyClickID(id)
			if err != nil || c != tc.campaign || i != tc.index {
				t.Errorf("%s: VerifyClickID(%q) = %d, %d, %v", name, id, c, i, err)
			}
		}
	}
	id := oldS.ClickID(42, 3)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	unsub := oldS.Sign(Token{Purpose: TokenUnsubscribe, SubscriberID: 42, CampaignID: 3, IssuedAt: time.Now()})
	forged := map[string]string{
		"empty":          "",
		"altered start":  flip(id, 3),
		"altered end":    flip(id, len(id)-1),
		"truncated":      id[:len(id)-2],
		"other key":      mustSigner(t, testKeyNew).ClickID(42, 3),
		"token":          unsub,
		"not base64":     "abc$def",
		"too long":       strings.Repeat("A", 200),
		"path traversal": "../../admin",
	}
	for name, raw := range forged {
		if _, _, err := oldS.VerifyClickID(raw); err == nil {
			t.Errorf("%s: %q verified", name, raw)
		}
	}
	if _, err := oldS.Verify(id, TokenUnsubscribe, time.Now()); err == nil {
		t.Error("a click id verified as an unsubscribe token")
	}
}

func TestTrackedLinksMarkdown(t *testing.T) {
	c := &Campaign{Name: "n", Subject: "S", Purpose: CampaignMarketing, Locale: "en", Format: FormatMarkdown,
		Body: "[Shop](https://shop.example.com/) and [stop]({{.UnsubscribeURL}})"}
	urls, err := TrackedLinks(c)
	if err != nil || len(urls) != 1 || urls[0] != "https://shop.example.com/" {
		t.Fatalf("links = %q, %v", urls, err)
	}
}

// TestSanitizeArchiveHTML leaves no script or active content in an
// archived body and keeps its markup and styles.
func TestSanitizeArchiveHTML(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
		not      []string
	}{
		{"script", `<p>a</p><script>alert(1)</script><p>b</p>`, []string{"<p>a</p>", "<p>b</p>"}, []string{"script", "alert"}},
		{"handler", `<img src="https://x.example/i.png" onerror="alert(1)">`, []string{`src="https://x.example/i.png"`}, []string{"onerror"}},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, []string{"x</a>"}, []string{"javascript"}},
		{"entity javascript", `<a href="jav&#x09;ascript:alert(1)">x</a>`, nil, []string{"ascript"}},
		{"link opens apart", `<a href="https://x.example/">x</a>`, []string{`target="_blank"`, `rel="noopener noreferrer"`}, nil},
		{"style kept", `<style>p > a { color: red }</style><p style="color:#333">t</p>`, []string{"p > a { color: red }", `style="color:#333"`}, nil},
		{"iframe and form", `<iframe src="https://evil.example/"></iframe><form action="/x"><input name="a"></form>ok`, []string{"ok"}, []string{"iframe", "form", "input"}},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.example/">hi`, []string{"hi"}, []string{"refresh"}},
		{"nested svg script", `<svg><script>alert(1)</script></svg>after`, []string{"after"}, []string{"alert", "svg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := SanitizeArchiveHTML(tc.in)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("%q lacks %q", out, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(strings.ToLower(out), n) {
					t.Errorf("%q keeps %q", out, n)
				}
			}
		})
	}
}

// TestClickURL is the /l/ URL under the base.
func TestClickURL(t *testing.T) {
	base, _ := url.Parse("https://news.example.com/")
	s := mustSigner(t, testKeyOld)
	l := &Links{Base: base, Signer: s}
	u := l.Click(5, 2)
	id, ok := strings.CutPrefix(u, "https://news.example.com/l/")
	if !ok {
		t.Fatalf("click URL %q", u)
	}
	if c, i, err := s.VerifyClickID(id); err != nil || c != 5 || i != 2 {
		t.Fatalf("verify: %d %d %v", c, i, err)
	}
}
