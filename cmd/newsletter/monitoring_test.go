package main_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/smtpsink"
	"newsletter/internal/testenv"
)

// scrape reads a process's /metrics with the token.
func scrape(t *testing.T, p *proc) string {
	t.Helper()
	code, body := get(p.base+"/metrics", "Authorization", "Bearer "+productionMetricsToken)
	if code != 200 {
		t.Fatalf("/metrics: %d %.300s", code, body)
	}
	return body
}

// sample returns the line of one series on a /metrics page ("" if none).
func sample(body, series string) string {
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, series+" ") {
			return line
		}
	}
	return ""
}

// TestMonitoringFilesMatchTheProduct runs the product, makes it send mail,
// fail a message, run tasks, answer requests and hold an overdue request,
// then checks the alert rules (deploy/prometheus/alerts.yml) and the
// Grafana dashboard (deploy/grafana/newsletter.json) against its /metrics:
// both parse, and every metric and label they name is there.
func TestMonitoringFilesMatchTheProduct(t *testing.T) {
	t.Parallel()
	sink := &smtpsink.Server{CountRecipients: true, OnRcpt: func(rcpt string) string {
		if strings.HasPrefix(rcpt, "bounce@") {
			return "550 5.1.1 No such user"
		}
		return ""
	}}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	env := productionEnv(t)
	env["SMTP_URL"] = sink.URL()
	p := start(t, env, "serve")

	// An access request past its deadline, written before the first scrape.
	ctx := context.Background()
	st, err := store.Open(ctx, env["DATABASE_URL"], "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	due := time.Now().Add(-time.Hour)
	if err := st.CreateRequest(ctx, &app.Request{Kind: app.KindAccess, Channel: app.ChannelAPI, Status: app.RequestReceived,
		ReceivedAt: time.Now().Add(-15 * 24 * time.Hour), DueAt: &due}); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ok@example.com", "bounce@example.com"} {
		if code, body := postJSON(p.base+"/subscribe", `{"name":"Anna","email":"`+email+`","consent_processing":true}`); code != 202 {
			t.Fatalf("subscribe %s: %d %s", email, code, body)
		}
	}
	get(p.base + "/no-such-page")
	var body string
	waitUntil(t, "mail sent and refused, and tasks counted", func() bool {
		body = scrape(t, p)
		return strings.Contains(body, "newsletter_mail_sent_total{") && strings.Contains(body, "newsletter_mail_failed_total{") &&
			strings.Contains(body, "newsletter_tasks_total{")
	})
	for series, want := range map[string]string{
		`newsletter_requests_overdue{kind="access"}`:                          "1",
		`newsletter_requests_overdue{kind="consent_revocation"}`:              "0",
		`newsletter_ready{check="database"}`:                                  "1",
		`newsletter_ready{check="queue"}`:                                     "1",
		`newsletter_mail_failed_total{class="permanent",kind="confirmation"}`: "1",
	} {
		if line := sample(body, series); !strings.HasSuffix(line, " "+want) {
			t.Errorf("%s: %q, want %s", series, line, want)
		}
	}
	if sample(body, "newsletter_outbox_oldest_unfinished_seconds") == "" {
		t.Error("no newsletter_outbox_oldest_unfinished_seconds")
	}
	have := parseExposition(t, body)
	alerts := checkRules(t, have, "../../deploy/prometheus/alerts.yml")
	metrics := checkDashboard(t, have, "../../deploy/grafana/newsletter.json")
	t.Logf("%d alerts; the dashboard queries %v", len(alerts), metrics)
	// What the issue asks the monitoring to cover is covered.
	for _, want := range []string{"newsletter_queue_depth", "newsletter_mail_failed_total", "newsletter_requests_overdue",
		"newsletter_http_requests_total", "newsletter_ready", "newsletter_tasks_total", "newsletter_mail_sent_total"} {
		if !strings.Contains(strings.Join(metrics, " "), want) {
			t.Errorf("the dashboard does not show %s", want)
		}
		if !strings.Contains(readFile(t, "../../deploy/prometheus/alerts.yml"), want) && want != "newsletter_mail_sent_total" {
			t.Errorf("no alert on %s", want)
		}
	}
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// TestMetricsWhileQueueDown: with Redis down /metrics still answers: the
// readiness gauge says the queue is down, and the counters are there; the
// queue depth, which cannot be read, is left out.
func TestMetricsWhileQueueDown(t *testing.T) {
	t.Parallel()
	env := productionEnv(t)
	redisSrv := testenv.StartRedisServer(t)
	env["REDIS_URL"] = redisSrv.URL()
	p := start(t, env, "web")
	get(p.base + "/privacy")
	redisSrv.Stop()
	body := scrape(t, p)
	for series, want := range map[string]string{
		`newsletter_ready{check="database"}`: "1",
		`newsletter_ready{check="queue"}`:    "0",
	} {
		if line := sample(body, series); !strings.HasSuffix(line, " "+want) {
			t.Errorf("%s: %q, want %s", series, line, want)
		}
	}
	if !strings.Contains(body, `newsletter_http_requests_total{method="GET",route="/privacy",status="200"} 1`) {
		t.Errorf("the request counter is missing:\n%.2000s", body)
	}
	if strings.Contains(body, "newsletter_queue_depth{") {
		t.Errorf("a queue depth was reported with the queue down")
	}
	redisSrv.Start()
	waitUntil(t, "the queue gauge back", func() bool {
		return strings.HasSuffix(sample(scrape(t, p), `newsletter_ready{check="queue"}`), " 1")
	})
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// postJSON posts a JSON body and returns the status and body (0 and the
// error when the request failed).
func postJSON(url, body string) (int, string) {
	req, _ := newJSONRequest(url, body)
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b := make([]byte, 512)
	n, _ := resp.Body.Read(b)
	return resp.StatusCode, string(b[:n])
}

// waitLong waits for cond with a generous timeout (the machine may be
// slow); on timeout it fails with what the optional explain says.
func waitLong(t *testing.T, what string, timeout time.Duration, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			for _, e := range explain {
				msg += "\n" + e()
			}
			t.Fatalf("timed out after %v waiting for %s%s", timeout, what, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// queueDepth sums newsletter_queue_depth on a process's /metrics.
func queueDepth(t *testing.T, p *proc) int {
	t.Helper()
	code, body := get(p.base+"/metrics", "Authorization", "Bearer "+productionMetricsToken)
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	total, seen := 0, false
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "newsletter_queue_depth{") {
			var n int
			fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%d", &n)
			total += n
			seen = true
		}
	}
	if !seen {
		return -1 // the queue did not answer the scrape
	}
	return total
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComposeMonitoringProfile: the monitoring profile of
// docker-compose.yml fits together (Docker does not run here, so the
// files are checked against each other): Prometheus scrapes the port of
// METRICS_ADDR on the product's services and loads the rules file; every
// file a service mounts exists; Grafana's data source is the Prometheus
// service and its dashboard folder is where the dashboard is mounted.
func TestComposeMonitoringProfile(t *testing.T) {
	var compose struct {
		Env      map[string]string `yaml:"x-newsletter-env"`
		Services map[string]struct {
			Profiles []string `yaml:"profiles"`
			Volumes  []string `yaml:"volumes"`
			Ports    []string `yaml:"ports"`
		} `yaml:"services"`
	}
	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName      string `yaml:"job_name"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	var datasources struct {
		Datasources []struct {
			Type string `yaml:"type"`
			URL  string `yaml:"url"`
		} `yaml:"datasources"`
	}
	var dashboards struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	for path, v := range map[string]any{
		"../../docker-compose.yml":                                     &compose,
		"../../deploy/prometheus/prometheus.yml":                       &prom,
		"../../deploy/grafana/provisioning/datasources/prometheus.yml": &datasources,
		"../../deploy/grafana/provisioning/dashboards/newsletter.yml":  &dashboards,
	} {
		if err := yaml.Unmarshal([]byte(readFile(t, path)), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	_, port, err := net.SplitHostPort(compose.Env["METRICS_ADDR"])
	if err != nil {
		t.Fatalf("METRICS_ADDR %q in docker-compose.yml: %v", compose.Env["METRICS_ADDR"], err)
	}
	if len(prom.ScrapeConfigs) != 1 || prom.ScrapeConfigs[0].JobName != "newsletter" || len(prom.ScrapeConfigs[0].DNSSDConfigs) != 1 {
		t.Fatalf("prometheus.yml: want one scrape job newsletter (the rules expect job=\"newsletter\"): %+v", prom.ScrapeConfigs)
	}
	sd := prom.ScrapeConfigs[0].DNSSDConfigs[0]
	if strconv.Itoa(sd.Port) != port || !slices.Equal(sd.Names, []string{"web", "worker"}) {
		t.Errorf("prometheus.yml scrapes %v on port %d; the product serves METRICS_ADDR port %s on web and worker", sd.Names, sd.Port, port)
	}
	for _, name := range sd.Names {
		if _, ok := compose.Services[name]; !ok {
			t.Errorf("prometheus.yml scrapes %s, which docker-compose.yml does not run", name)
		}
	}
	for _, f := range prom.RuleFiles {
		if _, err := os.Stat(filepath.Join("../../deploy/prometheus", f)); err != nil {
			t.Errorf("rule file: %v", err)
		}
	}
	mounts := map[string]string{}
	for _, name := range []string{"prometheus", "grafana"} {
		s, ok := compose.Services[name]
		if !ok || !slices.Equal(s.Profiles, []string{"monitoring"}) {
			t.Fatalf("docker-compose.yml: service %s in the monitoring profile only: %+v", name, s)
		}
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join("../..", src)); err != nil {
					t.Errorf("service %s mounts %v", name, err)
				}
				mounts[strings.TrimSuffix(dst, ":ro")] = src
			}
		}
	}
	if mounts["/etc/prometheus"] != "./deploy/prometheus" || mounts["/etc/grafana/provisioning"] != "./deploy/grafana/provisioning" {
		t.Errorf("mounts %v", mounts)
	}
	dash := "/var/lib/grafana/dashboards/newsletter.json"
	if mounts[dash] != "./deploy/grafana/newsletter.json" || len(dashboards.Providers) != 1 ||
		dashboards.Providers[0].Options.Path != filepath.Dir(dash) {
		t.Errorf("the dashboard is mounted at %v, Grafana reads %+v", mounts, dashboards.Providers)
	}
	if len(datasources.Datasources) != 1 || datasources.Datasources[0].Type != "prometheus" ||
		datasources.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("Grafana's data source: %+v", datasources.Datasources)
	}
}
