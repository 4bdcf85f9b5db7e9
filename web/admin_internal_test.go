package web

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/templates"
)

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/admin"},
		{"/admin/subscribers?q=a", "/admin/subscribers?q=a"},
		{"//evil.example.com/admin", "/admin"},
		{"https://evil.example.com/admin", "/admin"},
		{"/administrator", "/administrator"},
		{"/admin/login", "/admin"},
		{"/admin/logout", "/admin"},
		{"/admin\\evil", "/admin"},
		{"/admin\r\nSet-Cookie: x", "/admin"},
		{"/subscribe", "/admin"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCampaignProgress(t *testing.T) {
	c := func(st app.CampaignStatus, recipients, sent, failed, skipped, opted int64) *app.Campaign {
		return &app.Campaign{Status: st, CampaignCounters: app.CampaignCounters{Recipients: recipients, Sent: sent,
			Failed: failed, Skipped: skipped, OptedOut: opted}}
	}
	tests := []struct {
		name string
		c    *app.Campaign
		done int64
		pct  int
	}{
		{"Draft", c(app.CampaignDraft, 0, 0, 0, 0, 0), 0, 0},
		{"Running", c(app.CampaignRunning, 200, 50, 10, 5, 5), 70, 35},
		{"AllSettled", c(app.CampaignRunning, 4, 3, 1, 0, 0), 4, 100},
		{"FinishedWithNobody", c(app.CampaignFinished, 0, 0, 0, 0, 0), 0, 100},
		{"MoreThanRecipients", c(app.CampaignRunning, 2, 3, 0, 0, 0), 3, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done, pct := campaignProgress(tt.c)
			if done != tt.done || pct != tt.pct {
				t.Errorf("got %d %d%%, want %d %d%%", done, pct, tt.done, tt.pct)
			}
		})
	}
}

func TestNiceMax(t *testing.T) {
	for in, want := range map[int64]int64{0: 4, 3: 4, 5: 8, 9: 12, 13: 20, 99: 100, 101: 200, 2500: 5000} {
		if got := niceMax(in); got != want || got < in || got%4 != 0 {
			t.Errorf("niceMax(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestFillDays(t *testing.T) {
	start := time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)
	days := fillDays([]app.ConsentDay{{Day: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Granted: 3, Withdrawn: 1}}, start, 4)
	if len(days) != 4 || days[2].Granted != 3 || days[2].Withdrawn != 1 || days[0].Granted != 0 ||
		!days[3].Day.Equal(time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("days %+v", days)
	}
	svg := string(consentChart("en", days))
	if !regexp.MustCompile(`^<svg [^>]*role="img"`).MatchString(svg) || regexp.MustCompile(` style=|<script`).MatchString(svg) {
		t.Errorf("chart %s", svg)
	}
}

// TestChartDayLabels: 30 days get a label a week ending with today's, so
// no two labels of the axis overlap.
func TestChartDayLabels(t *testing.T) {
	start := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
	svg := string(consentChart("en", fillDays(nil, start, chartDays)))
	labels := regexp.MustCompile(`>(\d\d\.\d\d)</text>`).FindAllStringSubmatch(svg, -1)
	var got []string
	for _, l := range labels {
		got = append(got, l[1])
	}
	if want := []string{"09.11", "16.11", "23.11", "30.11", "07.12"}; !slices.Equal(got, want) {
		t.Errorf("day labels %v, want %v", got, want)
	}
}

// TestConsoleCatalog checks that every text the console's templates and
// handlers name exists in English and Russian.
func TestConsoleCatalog(t *testing.T) {
	key := regexp.MustCompile(`"(admin\.[a-z_.]+[a-z_])"`)
	files, _ := filepath.Glob("../templates/pages/admin_*.html")
	goFiles, _ := filepath.Glob("admin*.go")
	if len(files) == 0 || len(goFiles) == 0 {
		t.Fatal("no console files found")
	}
	for _, f := range append(files, goFiles...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if en, ru := templates.T("en", k), templates.T("ru", k); en == k || ru == k || (en == ru && len(en) > 12) {
				t.Errorf("%s: %q lacks a translation (en %q, ru %q)", filepath.Base(f), k, en, ru)
			}
		}
	}
	// Keys built from values.
	for _, prefix := range []string{"admin.status.", "admin.cstatus.", "admin.kind.", "admin.reqstatus.", "admin.role.",
		"admin.purpose.", "admin.suppress.", "admin.dstatus.", "admin.channel.", "admin.action."} {
		var values []string
		switch prefix {
		case "admin.status.":
			values = []string{"pending", "active", "blocked", "erased"}
		case "admin.cstatus.":
			values = []string{"draft", "scheduled", "running", "paused", "cancelled", "finished"}
		case "admin.kind.":
			values = []string{"marketing_optout", "data_update", "consent_revocation", "access", "unknown"}
		case "admin.reqstatus.":
			values = []string{"received", "awaiting_confirmation", "needs_review", "completed", "rejected"}
		case "admin.role.":
			values = []string{"owner", "marketer", "privacy_officer"}
		case "admin.purpose.":
			values = []string{"marketing", "informational", "processing", "cross_border"}
		case "admin.suppress.":
			values = []string{"erased", "hard_bounce", "complaint", "manual"}
		case "admin.dstatus.":
			values = []string{"pending", "sending", "sent", "failed", "skipped", "opted_out"}
		case "admin.channel.":
			values = []string{"email", "one_click", "web", "admin", "api", "import", "complaint"}
		case "admin.action.":
			values = []string{"granted", "confirmed", "withdrawn"}
		}
		for _, v := range values {
			if templates.T("ru", prefix+v) == prefix+v {
				t.Errorf("no text for %s%s", prefix, v)
			}
		}
	}
}
