package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"newsletter/app"
	"newsletter/web"
)

// The API's description (web/openapi.json) is checked two ways: every
// /api/v1 route of the table has a description and every description a
// route (TestOpenAPIDescribesEveryRoute), and real requests to every route
// and their answers are valid by it (TestOpenAPIAnswers).

// apiSpec is the description the server serves, loaded and checked, with
// a router over it.
type apiSpec struct {
	doc    *openapi3.T
	router routers.Router
}

// loadAPISpec fetches the description from srv without a token and loads
// it.
func loadAPISpec(t *testing.T, srv *web.Server) *apiSpec {
	t.Helper()
	resp, err := srv.App().Test(httptest.NewRequest("GET", "/api/v1/openapi.json", nil), 10000)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(body)
	if err != nil {
		t.Fatalf("load the description: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the description is not valid OpenAPI: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("the description is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	router, err := gorillamux.NewRouter(doc)
	must(t, err)
	return &apiSpec{doc: doc, router: router}
}

var routeParam = regexp.MustCompile(`:(\w+)(<[^>]*>)?`)

// specPath is the OpenAPI path of a route of the table: "/x/:id<int>"
// is "/x/{id}".
func specPath(path string) string { return routeParam.ReplaceAllString(path, "{$1}") }

// apiRows are the rows of the route table under /api/v1.
func apiRows(srv *web.Server) []web.RouteEntry {
	var out []web.RouteEntry
	for _, r := range srv.RouteTable() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			out = append(out, r)
		}
	}
	return out
}

// rolesOf is who may call a row: its roles and owners, sorted.
func rolesOf(r web.RouteEntry) []string {
	set := map[string]bool{string(app.RoleOwner): true}
	for _, role := range r.Roles {
		set[string(role)] = true
	}
	var out []string
	for role := range set {
		out = append(out, role)
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIDescribesEveryRoute: every /api/v1 route of the table
// (web/routes.go) is described in web/openapi.json with its method, how it
// is authenticated and the roles that may call it; every operation
// described is a route of the table.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	p := newAPIParts(t)
	srv := p.serve(p.deps()).srv
	spec := loadAPISpec(t, srv)
	inTable := map[string]bool{}
	for _, r := range apiRows(srv) {
		path, method := specPath(r.Path), strings.ToLower(r.Method)
		inTable[r.Method+" "+path] = true
		var op *openapi3.Operation
		if item := spec.doc.Paths.Value(path); item != nil {
			op = item.GetOperation(r.Method)
		}
		if op == nil {
			t.Errorf("route %s %s (web/routes.go) has no description in web/openapi.json: add the operation paths[%q].%s",
				r.Method, r.Path, path, method)
			continue
		}
		where := "web/openapi.json paths[" + quoted(path) + "]." + method
		switch r.Access {
		case "public":
			if op.Security == nil || len(*op.Security) != 0 {
				t.Errorf("%s: %s %s is public; its security must be []", where, r.Method, r.Path)
			}
		case "api":
			if op.Security != nil && (len(*op.Security) != 1 || (*op.Security)[0]["bearerToken"] == nil) {
				t.Errorf("%s: %s %s needs an API token; its security must be the bearerToken", where, r.Method, r.Path)
			}
			var roles []string
			if raw, ok := op.Extensions["x-roles"]; ok {
				b, _ := json.Marshal(raw)
				_ = json.Unmarshal(b, &roles)
			}
			sort.Strings(roles)
			want := rolesOf(r)
			if !slices.Equal(roles, want) {
				t.Errorf("%s: x-roles is %v, the route table lets %v in", where, roles, want)
			}
			if op.Responses.Status(http.StatusUnauthorized) == nil {
				t.Errorf("%s: the answer 401 (no token) is not described", where)
			}
			if len(want) < 3 && op.Responses.Status(http.StatusForbidden) == nil {
				t.Errorf("%s: the answer 403 (a role without the right) is not described", where)
			}
		default:
			t.Errorf("%s %s is a %s route under /api/v1", r.Method, r.Path, r.Access)
		}
	}
	if len(spec.doc.Security) != 1 || spec.doc.Security[0]["bearerToken"] == nil {
		t.Errorf("web/openapi.json: the top-level security must be the bearerToken")
	}
	for _, path := range spec.doc.Paths.InMatchingOrder() {
		for method := range spec.doc.Paths.Value(path).Operations() {
			if !inTable[method+" "+path] {
				t.Errorf("web/openapi.json describes %s %s, which is no route of the table (web/routes.go)", method, path)
			}
		}
	}
}

func quoted(s string) string { b, _ := json.Marshal(s); return string(b) }

// specRun sends requests to an API server and validates each request that
// should succeed, and every answer, by the description; it notes the
// statuses each operation answered.
type specRun struct {
	spec *apiSpec
	api  *apiServer
	// seen are the statuses answered, by "METHOD /path" of the description.
	seen map[string]map[int]bool
}

// call sends method target as role (none: no token) with a JSON body and
// header pairs, checks the status and the validity of the exchange, and
// returns the answer decoded when it is a JSON object.
func (r *specRun) call(t *testing.T, role app.Role, method, target, body string, want int, header ...string) map[string]any {
	t.Helper()
	code, h, got := r.api.do(t, role, method, target, body, header...)
	if code != want {
		t.Fatalf("%s %s as %q: %d %s, want %d", method, target, role, code, got, want)
	}
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+r.api.tokens[role])
	}
	route, params, err := r.spec.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no operation of web/openapi.json matches it (%v): describe its route there", method, target, err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: bearerPresent}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if want < 400 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: the request does not match web/openapi.json: %v", method, target, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: code, Header: h,
		Body: io.NopCloser(bytes.NewReader(got)), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s: the answer %d does not match web/openapi.json: %v\n%s", method, target, code, err, got)
	}
	key := method + " " + route.Path
	if r.seen[key] == nil {
		r.seen[key] = map[int]bool{}
	}
	r.seen[key][code] = true
	var m map[string]any
	_ = json.Unmarshal(got, &m)
	return m
}

// bearerPresent accepts a request that shows a bearer token where the
// description asks for one (the server checks the token itself).
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "bearerToken" {
		return nil
	}
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return errNoBearer
	}
	return nil
}

var errNoBearer = &app.Error{Code: app.EUNAUTHORIZED, Message: "no bearer token"}
