package inbound

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestARFComplaint(t *testing.T) {
	raw, err := os.ReadFile("testdata/arf_abuse_report.eml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsComplaint || m.Complaint == nil || m.IsDSN || m.Bounce != nil {
		t.Fatalf("complaint %v %+v, dsn %v", m.IsComplaint, m.Complaint, m.IsDSN)
	}
	c := m.Complaint
	if c.FeedbackType != "abuse" || !c.Counts() || c.OriginalRcptTo != "reader@mailbox.example" ||
		c.OriginalMailFrom != "newsletter@shop.example" {
		t.Errorf("complaint %+v", c)
	}
	if c.Original == nil || c.Original.MessageID != "campaign-15.delivery-77@shop.example" {
		t.Fatalf("original %+v", c.Original)
	}
	if m.Forwarded != nil {
		t.Error("the reported message taken for a forward")
	}
	refs := m.ReportReferences()
	for _, want := range []string{"fbl@shop.example", "campaign-15.delivery-77@shop.example", "newsletter@shop.example"} {
		if !slices.Contains(refs, want) {
			t.Errorf("references %q lack %q", refs, want)
		}
	}

	notSpam := strings.Replace(string(raw), "Feedback-Type: abuse", "Feedback-Type: not-spam", 1)
	if m, _ := Parse([]byte(notSpam)); !m.IsComplaint || m.Complaint.Counts() {
		t.Errorf("a not-spam report counts as a complaint: %+v", m.Complaint)
	}
	// A report of another type is not a complaint.
	other := strings.Replace(string(raw), "report-type=feedback-report", "report-type=disposition-notification", 1)
	if m, _ := Parse([]byte(other)); m.IsComplaint {
		t.Error("a disposition notification taken for a complaint")
	}
}

func TestReportReferencesOfBounce(t *testing.T) {
	raw, err := os.ReadFile("testdata/dsn_postfix_permanent.eml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	refs := m.ReportReferences()
	if !slices.Contains(refs, "campaign-12.delivery-345@shop.example") || !slices.Contains(refs, "newsletter@shop.example") {
		t.Errorf("references %q", refs)
	}
}
