package jobs_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
)

// TestSMTPOutageMidCampaign: the mail server goes away for a while in the
// middle of a campaign (it shuts down: closes every connection and refuses
// new ones); when it comes back, every recipient has exactly one message:
// none lost, none doubled. (A crash between the server's acceptance and its
// reply is the documented window of SMTP itself, not tested here.)
func TestSMTPOutageMidCampaign(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	want := e.seed(t, 1, 1500)
	sink := slowSink(t)
	e.startWorkerProc(t, sink)
	c := e.createCampaign(t, app.CampaignMarketing)
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "300 messages", func() bool { return sink.Accepted() >= 300 })
	sink.GoDown()
	before := sink.Accepted()
	time.Sleep(4 * time.Second)
	if got := sink.Accepted(); got != before {
		t.Fatalf("%d messages accepted while the server was down", got-before)
	}
	if got := e.campaign(t, c.ID); got.Status == app.CampaignFinished {
		t.Fatal("the campaign finished during the outage")
	}
	if err := sink.ComeBack(); err != nil {
		t.Fatal(err)
	}
	done := e.waitStatus(t, c.ID, app.CampaignFinished, 90*time.Second)
	exactlyOnce(t, sink.Count(), want)
	if done.Sent != int64(len(want)) || done.Failed != 0 {
		t.Fatalf("sent %d, failed %d; want %d sent", done.Sent, done.Failed, len(want))
	}
}
