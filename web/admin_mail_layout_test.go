package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"newsletter/app"
)

// TestAdminMailLayout: the owner edits the layout of each language in the
// console; a bad colour or a logo that is not https comes back with its
// message and the input kept, escaped; a saved layout shows in the
// preview, its footer text as text, never as markup.
func TestAdminMailLayout(t *testing.T) {
	c := newConsole(t)
	s := c.login(t, app.RoleOwner)
	for _, loc := range []string{"en", "ru"} {
		resp, body := c.get(t, s, "/admin/layout?lang="+loc)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="layout-form"`) || !strings.Contains(body, `/admin/layout/preview?lang=`+loc) {
			t.Fatalf("%s: %d %.300s", loc, resp.StatusCode, body)
		}
	}
	bad := url.Values{"lang": {"ru"}, "logo_url": {`http://example.com/"><script>x</script>`}, "brand_color": {"red"},
		"background_color": {"#f3f4f6"}, "footer_text": {"x"}}
	resp, body := c.post(t, s, "/admin/layout", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "<script>x") ||
		!strings.Contains(body, `id="layout-logo-error"`) || !strings.Contains(body, `id="layout-brand-error"`) {
		t.Fatalf("a bad layout: %d %.500s", resp.StatusCode, body)
	}
	good := url.Values{"lang": {"ru"}, "logo_url": {"https://cdn.example.com/logo.png"}, "brand_color": {"#0a7"},
		"background_color": {"#eeeeee"}, "footer_text": {`ООО «Пример» <b>bold</b>`}}
	if resp, body := c.post(t, s, "/admin/layout", good); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", resp.StatusCode, body)
	}
	resp, body = c.get(t, s, "/admin/layout/preview?lang=ru")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `src="https://cdn.example.com/logo.png"`) ||
		!strings.Contains(body, "#00aa77") || !strings.Contains(body, "#eeeeee") || strings.Contains(body, "<b>bold") ||
		!strings.Contains(body, "ООО «Пример» &lt;b&gt;bold&lt;/b&gt;") || !strings.Contains(body, "Отписаться") {
		t.Fatalf("preview: %d %s", resp.StatusCode, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("preview CSP %q", csp)
	}
	// The English layout is untouched.
	if _, body := c.get(t, s, "/admin/layout/preview?lang=en"); strings.Contains(body, "cdn.example.com") {
		t.Error("the English layout took the Russian one's logo")
	}
	m := c.login(t, app.RoleMarketer)
	if resp, _ := c.post(t, m, "/admin/layout", good); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("a marketer's save: %d", resp.StatusCode)
	}
}
