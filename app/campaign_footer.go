package app

import (
	"bytes"
	"fmt"
	"strings"
)

// The HTML footer differs between recipients only by their two links, so
// it is rendered once per language with stand-ins for them and cut there;
// a recipient's footer is the pieces joined with the links, escaped as
// html/template escapes them in an href. A link that needs more than
// that escaping (any byte outside plainURLBytes) takes the template.

// Stand-ins for the links while the footer is cut: plain letters, which
// html/template leaves as they are in an href.
const (
	footerUnsubscribeMark = "nlfooterunsubscribemark"
	footerPreferencesMark = "nlfooterpreferencesmark"
)

// cutFooters renders the HTML footer of each language with the stand-ins
// and cuts it into the pieces around them; a language whose footer does
// not hold each stand-in exactly once (an operator's name that holds one)
// keeps no pieces and takes the template.
func (t *CampaignTemplate) cutFooters() {
	t.footerCut = map[string][3]string{}
	for loc, ft := range t.footerHTML {
		var b bytes.Buffer
		if ft.Execute(&b, t.footer(MergeFields{UnsubscribeURL: footerUnsubscribeMark, PreferencesURL: footerPreferencesMark})) != nil {
			continue
		}
		s := b.String()
		if strings.Count(s, footerUnsubscribeMark) != 1 || strings.Count(s, footerPreferencesMark) != 1 {
			continue
		}
		head, rest, _ := strings.Cut(s, footerUnsubscribeMark)
		mid, tail, ok := strings.Cut(rest, footerPreferencesMark)
		if !ok {
			continue // the preferences link came first
		}
		t.footerCut[loc] = [3]string{head, mid, tail}
	}
}

// plainURLBytes are the bytes of a URL that html/template writes into an
// href as they are, but for "&" (written "&amp;").
const plainURLBytes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#@!$*,;=%&"

// hrefValue is u as html/template writes it into an href, and whether u
// is plain enough to be written so without the template.
func hrefValue(u string) (string, bool) {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return "", false
	}
	for i := 0; i < len(u); i++ {
		if strings.IndexByte(plainURLBytes, u[i]) < 0 {
			return "", false
		}
	}
	return strings.ReplaceAll(u, "&", "&amp;"), true
}

// writeFooterHTML writes the HTML footer of loc for f into buf.
func (t *CampaignTemplate) writeFooterHTML(buf *bytes.Buffer, loc string, f MergeFields) error {
	if cut, ok := t.footerCut[loc]; ok {
		unsub, ok1 := hrefValue(f.UnsubscribeURL)
		prefs, ok2 := hrefValue(f.PreferencesURL)
		if ok1 && ok2 {
			buf.WriteString(cut[0])
			buf.WriteString(unsub)
			buf.WriteString(cut[1])
			buf.WriteString(prefs)
			buf.WriteString(cut[2])
			return nil
		}
	}
	if err := t.footerHTML[loc].Execute(buf, t.footer(f)); err != nil {
		return fmt.Errorf("render campaign %d footer: %w", t.campaign.ID, err)
	}
	return nil
}
