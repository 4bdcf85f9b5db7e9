package jobs_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
)

// TestCampaignToSegmentAndBackToDraft: a campaign to a segment sends to
// the segment's people only, as its count said; a campaign taken back to
// draft before its time is not started by the task of its old schedule.
func TestCampaignToSegmentAndBackToDraft(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	emails := e.seed(t, 1, 40) // every second one Russian
	// On the default newsletters, as everyone subscribed before them is.
	if _, err := e.db.Exec(`INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at)
		SELECT s.id, n.id, 'import', now() FROM subscribers s CROSS JOIN newsletters n WHERE n.is_default
		ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	sink := newSink(t, nil)
	r := e.runner(t, smtpTransport(t, sink.URL(), nil), fastOptions)
	e.startWorker(t, r)
	name := "Russian"
	g, err := (&app.Segments{Store: e.st}).Create(ctx, marketer, app.SegmentInput{Name: &name,
		Filter: &app.SegmentFilter{Locales: []string{"ru"}}})
	if err != nil {
		t.Fatal(err)
	}

	// Back to draft: the old schedule's task finds its round outdated.
	held := e.createCampaign(t, app.CampaignMarketing)
	at := time.Now().Add(time.Second)
	if _, err := e.uc.Schedule(ctx, marketer, held.ID, &at); err != nil {
		t.Fatal(err)
	}
	if _, err := e.uc.Unschedule(ctx, marketer, held.ID); err != nil {
		t.Fatal(err)
	}

	c := e.createCampaign(t, app.CampaignMarketing)
	seg := g.ID
	if _, err := e.uc.Replace(ctx, marketer, c.ID, app.CampaignInput{Name: c.Name, Subject: c.Subject, Purpose: c.Purpose,
		BodyHTML: c.BodyHTML, SegmentID: &seg, NewsletterIDs: c.NewsletterIDs}); err != nil {
		t.Fatal(err)
	}
	n, err := e.uc.Audience(ctx, c.ID)
	if err != nil || n.Total != 20 {
		t.Fatalf("count %+v %v", n, err)
	}
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	got := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	var want []string
	for i, email := range emails {
		if (i+1)%2 == 0 {
			want = append(want, email)
		}
	}
	exactlyOnce(t, sink.Count(), want)
	if got.Recipients != 20 || got.Sent != 20 {
		t.Fatalf("counters %+v", got.CampaignCounters)
	}
	time.Sleep(1500 * time.Millisecond) // past the old schedule's time
	if h := e.campaign(t, held.ID); h.Status != app.CampaignDraft || h.StartedAt != nil {
		t.Fatalf("the campaign back in draft was started: %s", h.Status)
	}
}
