package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsletter/app"
	"newsletter/internal/testenv"
)

// footerIsChildOfBody parses a message as a mail client does and reports
// whether the footer's table (the one holding the unsubscribe link) is
// the last element of <body>, outside every element of the content.
func footerIsChildOfBody(t *testing.T, page string) bool {
	t.Helper()
	for _, scripting := range []bool{false, true} {
		doc, err := html.ParseWithOptions(strings.NewReader(page), html.ParseOptionEnableScripting(scripting))
		if err != nil {
			t.Fatal(err)
		}
		var link *html.Node
		for n := range doc.Descendants() {
			if n.DataAtom == atom.A && n.FirstChild != nil && n.FirstChild.Data == "Unsubscribe" {
				link = n
			}
		}
		if link == nil {
			return false
		}
		table := link
		for table != nil && table.DataAtom != atom.Table {
			table = table.Parent
		}
		if table == nil || table.Parent == nil || table.Parent.DataAtom != atom.Body {
			return false
		}
		for n := table.NextSibling; n != nil; n = n.NextSibling {
			if n.Type == html.ElementNode {
				return false
			}
		}
	}
	return true
}

// TestCampaignFooterVisibleInBrowser opens messages whose bodies try to
// hide the footer, by markup and by style, in Chromium: each footer link
// is shown, not covered, of its own size and colour.
func TestCampaignFooterVisibleInBrowser(t *testing.T) {
	bodies := map[string]string{
		"UnclosedHiddenDiv": `<p>Hello {{.Name}}</p><div style="display:none">`,
		"UnclosedInvisible": `<p>x</p><div style="visibility:hidden;opacity:0;height:0;overflow:hidden"><table><tr><td>`,
		"HiddenBody":        `<html style="opacity:0"><body style="display:none"><p>x</p></body></html>`,
		"StyleDisplayNone":  `<style>table,tr,td,a{display:none !important}</style><p>x</p>`,
		"StyleEverything": `<style>*{visibility:hidden !important;opacity:0 !important;font-size:0 !important;color:#ffffff !important;` +
			`transform:scale(0) !important;max-height:0 !important;overflow:hidden !important}</style><p>x</p>`,
		"StyleRoot":   `<style>html,body{height:0 !important;overflow:hidden !important;opacity:0 !important;filter:opacity(0) !important}</style><p>x</p>`,
		"StyleLast":   `<style>body>:last-child{position:absolute !important;left:-10000px !important}</style><p>x</p>`,
		"Overlay":     `<p>x</p><div style="position:fixed;top:0;left:0;width:100%;height:100%;background:#fff;z-index:2147483647"></div>`,
		"OverlayAbs":  `<div style="position:absolute;top:0;left:0;width:3000px;height:3000px;background:#fff;z-index:2147483647"></div>`,
		"PullUnder":   `<div style="height:200px;background:#fff;margin-bottom:-5000px">x</div>`,
		"WhiteOnBody": `<style>body,td{background:#666666 !important}</style><p>x</p>`,
	}
	dir := t.TempDir()
	ctx := testenv.Browser(t, 2*time.Minute)
	for name, body := range bodies {
		c := &app.Campaign{ID: 1, Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: body}
		tpl, err := app.CompileCampaign(c, app.Operator{Name: "Example Ltd", Address: "1 Main Street"}, nil, testFrame(t))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := tpl.Render("en", app.MergeFields{Name: "Ann", UnsubscribeURL: "https://x.example/u/t", PreferencesURL: "https://x.example/p/t"})
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name+".html")
		if err := os.WriteFile(file, []byte(m.HTML), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Navigate("file://"+file)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const out = [];
			for (const a of document.querySelectorAll('a[href^="https://x.example/"]')) {
				a.scrollIntoView({block: "center"});
				const r = a.getBoundingClientRect();
				const cs = getComputedStyle(a);
				if (!a.checkVisibility({opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true})) out.push(a.textContent + ": not visible");
				if (r.width < 20 || r.height < 8) out.push(a.textContent + ": " + r.width + "x" + r.height);
				if (cs.fontSize !== "12px" || cs.color !== "rgb(68, 68, 68)") out.push(a.textContent + ": " + cs.fontSize + " " + cs.color);
				let op = 1, tf = "";
				for (let e = a; e; e = e.parentElement) { const s = getComputedStyle(e); op *= +s.opacity; if (s.transform !== "none") tf = s.transform; if (s.filter !== "none") tf += s.filter; }
				if (op < 1 || tf) out.push(a.textContent + ": opacity " + op + " " + tf);
				const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
				if (!hit || (hit !== a && !a.contains(hit))) out.push(a.textContent + ": covered by <" + (hit ? hit.tagName : "nothing") + ">");
			}
			if (document.querySelectorAll('a[href^="https://x.example/"]').length !== 2) out.push("links missing");
			return out;
		})()`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(problems) > 0 {
			t.Errorf("%s: %v", name, problems)
		}
	}
}
