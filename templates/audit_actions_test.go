package templates

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"newsletter/i18n"
)

// auditActions walks the product's Go sources (tests left out) and returns
// every action the code writes to the audit log: the Audit* constants, the
// literals passed to audit helpers (audit, x.audit, RecordAction) and the
// Action of AuditEntry literals.
func auditActions(t *testing.T, roots ...string) []string {
	t.Helper()
	found := map[string]bool{}
	fset := token.NewFileSet()
	lit := func(e ast.Expr) {
		if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
			if v, err := strconv.Unquote(b.Value); err == nil {
				found[v] = true
			}
		}
	}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ValueSpec:
					for i, name := range n.Names {
						if strings.HasPrefix(name.Name, "Audit") && i < len(n.Values) {
							lit(n.Values[i])
						}
					}
				case *ast.CallExpr:
					at := -1
					switch fn := n.Fun.(type) {
					case *ast.Ident:
						if fn.Name == "audit" {
							at = 3
						}
					case *ast.SelectorExpr:
						if fn.Sel.Name == "audit" || fn.Sel.Name == "RecordAction" {
							at = 2
						}
					}
					if at >= 0 && at < len(n.Args) {
						lit(n.Args[at])
					}
				case *ast.CompositeLit:
					if isAuditEntry(n.Type) {
						for _, el := range n.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Action" {
									lit(kv.Value)
								}
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", root, err)
		}
	}
	out := make([]string, 0, len(found))
	for a := range found {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func isAuditEntry(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "AuditEntry"
	case *ast.SelectorExpr:
		return e.Sel.Name == "AuditEntry"
	}
	return false
}

// Every action the product writes to the audit log is said in words in
// both languages of the console.
func TestEveryAuditActionHasALabel(t *testing.T) {
	actions := auditActions(t, "../app", "../web", "../cmd", "../jobs")
	if len(actions) < 20 {
		t.Fatalf("found only %d actions in the sources: %v", len(actions), actions)
	}
	for _, a := range actions {
		key := AuditActionKey(a)
		e, ok := i18n.Lookup(key)
		if !ok {
			t.Errorf("audit action %q has no label %q", a, key)
			continue
		}
		if e[0] == "" || e[1] == "" {
			t.Errorf("audit action %q: label needs English and Russian: %q", a, e)
		}
	}
}
