package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"newsletter/app"
	"newsletter/i18n"
)

// apiOnlyFiles answer programs only (JSON for the API, webhooks, the
// inbound mailbox): their messages stay English.
var apiOnlyFiles = map[string]bool{"auth.go": true, "inbound.go": true, "routes.go": true, "webhooks.go": true,
	"api_campaigns.go": true, "api_privacy.go": true, "api_segments.go": true, "api_subscribers.go": true, "api_newsletters.go": true,
	"api_requests_review.go": true, "event_webhooks.go": false}

// TestMessagesTranslated walks the messages the use cases (package app)
// and the web layer give people: the texts of their errors (Errorf, an
// Error's Message and Fields, a field's message) and of the pages'
// fallbacks. Each must have its Russian, or the Russian console shows it
// in English.
func TestMessagesTranslated(t *testing.T) {
	var missing []string
	for _, dir := range []string{"../app", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		must(t, err)
		for _, path := range files {
			base := filepath.Base(path)
			if strings.HasSuffix(base, "_test.go") || (dir == "." && apiOnlyFiles[base]) {
				continue
			}
			for _, m := range messagesOf(t, path) {
				if !i18n.HasMessage(m) {
					missing = append(missing, base+": "+strconv.Quote(m))
				}
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no Russian for %s (i18n/messages_app.go)", m)
	}
}

// messagesOf returns the literal messages of the Go file at path.
func messagesOf(t *testing.T, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	must(t, err)
	var out []string
	add := func(e ast.Expr) {
		if s, ok := literal(e); ok && s != "" && s != "%s" && !strings.Contains(s, "%w") && !cyrillic(s) {
			out = append(out, s)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			switch name := callName(n.Fun); {
			case (name == "Errorf" || name == "app.Errorf") && len(n.Args) >= 2:
				add(n.Args[1])
			case (name == "fieldf" || strings.HasSuffix(name, ".Fieldf")) && len(n.Args) >= 2:
				add(n.Args[1]) // fieldf(&texts, format, ...), e.Fieldf(key, format, ...)
			case name == "fmt.Errorf" && filepath.Base(path) == "webhook_endpoints.go" && len(n.Args) >= 1:
				add(n.Args[0])
			}
		case *ast.CompositeLit:
			if typ := callName(n.Type); typ != "Error" && typ != "app.Error" {
				return true
			}
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch callName(kv.Key) {
				case "Message":
					add(kv.Value)
				case "Fields":
					if m, ok := kv.Value.(*ast.CompositeLit); ok {
						for _, fe := range m.Elts {
							if fkv, ok := fe.(*ast.KeyValueExpr); ok {
								add(fkv.Value)
							}
						}
					}
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if i >= len(n.Rhs) {
					break
				}
				if ix, ok := lhs.(*ast.IndexExpr); ok && callName(ix.X) == "fields" {
					add(n.Rhs[i])
				}
				if callName(lhs) == "msg" {
					add(n.Rhs[i])
				}
			}
		}
		return true
	})
	return out
}

// literal is the string of a literal or of the format of fmt.Sprintf.
func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		}
	case *ast.CallExpr:
		if callName(e.Fun) == "fmt.Sprintf" && len(e.Args) > 0 {
			return literal(e.Args[0])
		}
	}
	return "", false
}

// callName is the name of an identifier or a selector (pkg.Name).
func callName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return callName(e.X) + "." + e.Sel.Name
	}
	return ""
}

// cyrillic reports whether s is written in Russian already.
func cyrillic(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 'а' && r <= 'я' })
}

// TestConsoleMessagesInRussian: the Russian console shows the refusals of
// the use cases in Russian, on a form, beside a field and on the error
// page; the English console keeps the English.
func TestConsoleMessagesInRussian(t *testing.T) {
	c := newConsole(t)
	m := c.login(t, app.RoleMarketer)
	draft := "/admin/campaigns/" + strconv.FormatInt(c.campID, 10)
	_, body := c.post(t, m, draft+"/pause?lang=ru", url.Values{})
	if !strings.Contains(body, "Рассылку со статусом «черновик» нельзя приостановить.") || strings.Contains(body, "cannot be paused") {
		t.Errorf("the refused pause is not in Russian")
	}
	_, body = c.post(t, m, "/admin/segments?lang=ru", url.Values{"name": {""}, "from": {"tomorrow"}})
	for _, want := range []string{"В сегменте есть ошибки.", "ГГГГ-ММ-ДД"} {
		if !strings.Contains(body, want) {
			t.Errorf("the segment form lacks %q", want)
		}
	}
	camp := publishCampaign(t, c.fixture, false, true)
	resp, body := c.get(t, m, "/admin/campaigns/"+strconv.FormatInt(camp.ID, 10)+"/edit?lang=ru")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Изменять можно только черновик; статус этой рассылки: завершена.") {
		t.Errorf("error page: %d %s", resp.StatusCode, body[strings.Index(body, "<main"):])
	}
	_, body = c.post(t, m, draft+"/pause?lang=en", url.Values{})
	if !strings.Contains(body, "A draft campaign cannot be paused.") {
		t.Errorf("the English console lost the English message")
	}
}
