package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/template"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Checks of the monitoring files kept in deploy/: the Prometheus alert
// rules and the Grafana dashboard. Every expression must parse as PromQL,
// and every metric and label it names must exist on the /metrics of a
// running product, so the files cannot drift from the code.

// exposed is the series a scrape showed: series name -> its label names,
// with the labels Prometheus adds to every series of a target.
type exposed map[string][]string

// targetLabels are added by Prometheus to every scraped series.
var targetLabels = []string{"job", "instance"}

// parseExposition reads a /metrics answer; histograms and summaries give
// their _bucket, _sum and _count series.
func parseExposition(t *testing.T, body string) exposed {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := exposed{"up": targetLabels} // up is Prometheus' own, per target
	add := func(name string, labels []string) {
		for _, l := range append(labels, targetLabels...) {
			if !slices.Contains(out[name], l) {
				out[name] = append(out[name], l)
			}
		}
	}
	for name, f := range fams {
		var labels []string
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if !slices.Contains(labels, l.GetName()) {
					labels = append(labels, l.GetName())
				}
			}
		}
		switch f.GetType().String() {
		case "HISTOGRAM":
			add(name+"_bucket", append(slices.Clone(labels), "le"))
			add(name+"_sum", labels)
			add(name+"_count", labels)
		case "SUMMARY":
			add(name, append(slices.Clone(labels), "quantile"))
			add(name+"_sum", labels)
			add(name+"_count", labels)
		default:
			add(name, labels)
		}
	}
	return out
}

// checkExpr parses a PromQL expression and checks that every metric it
// selects is exposed with the labels it matches on, and that every label
// it groups by exists on what it aggregates. It returns the labels of the
// selected series, for templates that name them.
func checkExpr(have exposed, expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("does not parse: %w", err)
	}
	var problems []string
	var all []string
	labelsOf := func(n parser.Node) []string {
		var ls []string
		parser.Inspect(n, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				ls = append(ls, have[vs.Name]...)
			}
			return nil
		})
		return ls
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			labels, ok := have[n.Name]
			if !ok {
				problems = append(problems, fmt.Sprintf("metric %q is not exposed", n.Name))
				return nil
			}
			all = append(all, labels...)
			for _, m := range n.LabelMatchers {
				if m.Name != model.MetricNameLabel && !slices.Contains(labels, m.Name) {
					problems = append(problems, fmt.Sprintf("%s has no label %q", n.Name, m.Name))
				}
			}
		case *parser.AggregateExpr:
			inner := labelsOf(n.Expr)
			for _, g := range n.Grouping {
				if !slices.Contains(inner, g) {
					problems = append(problems, fmt.Sprintf("grouped by %q, which %s does not have", g, n.Expr))
				}
			}
		}
		return nil
	})
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return all, nil
}

// ruleFile is the Prometheus rule file format; unknown fields are errors.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert         string            `yaml:"alert"`
			Record        string            `yaml:"record"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// promTemplateFuncs are the functions Prometheus gives alert templates
// (stubs: only parsing is checked).
var promTemplateFuncs = template.FuncMap{}

func init() {
	for _, name := range []string{"humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
		"humanizeTimestamp", "title", "toUpper", "toLower", "first", "label", "value", "query", "reReplaceAll",
		"match", "args", "tableLink", "graphLink", "safeHtml", "stripPort", "stripDomain", "externalURL",
		"pathPrefix", "sortByLabel", "strvalue", "parseDuration", "toTime", "urlUnescape"} {
		promTemplateFuncs[name] = func(...any) string { return "" }
	}
}

var labelRef = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)

// checkRules validates an alert rules file the way Prometheus loads it
// and checks every expression against the exposed metrics.
func checkRules(t *testing.T, have exposed, path string) (alerts []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(rf.Groups) == 0 {
		t.Fatalf("%s: no rule groups", path)
	}
	groups := map[string]bool{}
	for _, g := range rf.Groups {
		if g.Name == "" || groups[g.Name] {
			t.Errorf("%s: group name %q empty or repeated", path, g.Name)
		}
		groups[g.Name] = true
		if g.Interval != "" {
			if _, err := model.ParseDuration(g.Interval); err != nil {
				t.Errorf("group %s: interval: %v", g.Name, err)
			}
		}
		for i, r := range g.Rules {
			name := r.Alert + r.Record
			if (r.Alert == "") == (r.Record == "") {
				t.Errorf("group %s rule %d: exactly one of alert and record", g.Name, i)
				continue
			}
			if !model.LegacyValidation.IsValidMetricName(name) || slices.Contains(alerts, name) {
				t.Errorf("rule %q: not a valid name, or repeated", name)
			}
			alerts = append(alerts, name)
			labels, err := checkExpr(have, r.Expr)
			if err != nil {
				t.Errorf("rule %s: expr: %v\n%s", name, err, r.Expr)
			}
			for field, d := range map[string]string{"for": r.For, "keep_firing_for": r.KeepFiringFor} {
				if d == "" {
					continue
				}
				if _, err := model.ParseDuration(d); err != nil {
					t.Errorf("rule %s: %s: %v", name, field, err)
				}
			}
			if r.Record != "" {
				continue
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("alert %s: severity %q, want critical, warning or info", name, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: needs a summary and a description", name)
			}
			for key, text := range r.Annotations {
				src := "{{$labels := .Labels}}{{$value := .Value}}{{$externalLabels := .ExternalLabels}}" + text
				if _, err := template.New(key).Funcs(promTemplateFuncs).Parse(src); err != nil {
					t.Errorf("alert %s: annotation %s: %v", name, key, err)
				}
				for _, m := range labelRef.FindAllStringSubmatch(text, -1) {
					if !slices.Contains(labels, m[1]) {
						t.Errorf("alert %s: annotation %s names label %q, which its series do not have", name, key, m[1])
					}
				}
			}
		}
	}
	return alerts
}

// grafanaVars replaces the dashboard's variables with values PromQL takes.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "${__rate_interval}", "5m", "$__interval", "1m",
	"$__range", "1h", "${job}", "newsletter", "$job", "newsletter")

var (
	legendRef   = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)
	labelValues = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)
)

// dashPanel is the part of a Grafana panel the check reads.
type dashPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	GridPos    struct{ H, W, X, Y int }
	Targets    []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
		RefID        string `json:"refId"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"`
}

// checkDashboard validates a Grafana dashboard and checks every query
// against the exposed metrics; it returns the metric names it queries.
func checkDashboard(t *testing.T, have exposed, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID           string      `json:"uid"`
		Title         string      `json:"title"`
		SchemaVersion int         `json:"schemaVersion"`
		Panels        []dashPanel `json:"panels"`
		Templating    struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Fatalf("%s: uid %q, title %q, schemaVersion %d", path, d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if q, ok := v.Query.(string); ok && v.Type == "query" {
			m := labelValues.FindStringSubmatch(q)
			if m == nil {
				t.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q)
			} else if labels, err := checkExpr(have, m[1]); err != nil || !slices.Contains(labels, m[2]) {
				t.Errorf("variable %s: %q: %v (labels %v)", v.Name, q, err, labels)
			}
		}
	}
	if !vars["datasource"] || !vars["job"] {
		t.Errorf("%s: the dashboard needs the variables datasource and job", path)
	}
	ids := map[int]bool{}
	metrics := map[string]bool{}
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			if ids[p.ID] || p.ID == 0 {
				t.Errorf("panel %q: id %d missing or repeated", p.Title, p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W < 1 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 || p.GridPos.H < 1 {
				t.Errorf("panel %q: grid position %+v outside the 24 columns", p.Title, p.GridPos)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if !strings.Contains(string(p.Datasource), `"${datasource}"`) || len(p.Targets) == 0 {
				t.Errorf("panel %q: want the ${datasource} variable and at least one query", p.Title)
			}
			for _, q := range p.Targets {
				expr := grafanaVars.Replace(q.Expr)
				labels, err := checkExpr(have, expr)
				if err != nil {
					t.Errorf("panel %q query %s: %v\n%s", p.Title, q.RefID, err, q.Expr)
					continue
				}
				for _, m := range legendRef.FindAllStringSubmatch(q.LegendFormat, -1) {
					if !slices.Contains(labels, m[1]) {
						t.Errorf("panel %q query %s: legend names label %q, which its series do not have", p.Title, q.RefID, m[1])
					}
				}
				e, _ := parser.NewParser(parser.Options{}).ParseExpr(expr)
				parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
					if vs, ok := n.(*parser.VectorSelector); ok {
						metrics[vs.Name] = true
					}
					return nil
				})
			}
		}
	}
	walk(d.Panels)
	var out []string
	for m := range metrics {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
