package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// flagsTrue fails the test when a subscriber's copy of their consents and
// suppression (read by the audience count) differs from the truth.
func (e *env) flagsTrue(t *testing.T, after string) {
	t.Helper()
	ids, err := e.store.AudienceFlagsDrift(context.Background())
	must(t, err)
	if len(ids) > 0 {
		t.Fatalf("after %s: the audience flags of subscribers %v differ from their consents or the suppression list", after, ids)
	}
}

// TestAudienceFlagsFollowEveryPath walks every path that changes a
// consent, a suppression or an address (subscribe, confirm, one-click,
// unsubscribe, preferences, change of address, revocation, block and
// unblock, manual suppression and its removal, complaint and its lift,
// erasure, import) and checks after each that the copy the audience count
// reads is true; at the end the count equals what materialization
// produces.
func TestAudienceFlagsFollowEveryPath(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		must(t, e.svc.Subscribe(ctx, input("pending@example.com"), formEvidence, texts))
		e.flagsTrue(t, "subscribe")
		anna := e.activeSubscriber(t, "anna@example.com")
		boris := e.activeSubscriber(t, "boris@example.com")
		vera := e.activeSubscriber(t, "vera@example.com")
		gleb := e.activeSubscriber(t, "gleb@example.com")
		dina := e.activeSubscriber(t, "dina@example.com")
		e.flagsTrue(t, "confirm")

		must(t, e.svc.OneClickUnsubscribe(ctx, e.svc.Links.UnsubscribeToken(anna.ID, 0), app.Evidence{}))
		e.flagsTrue(t, "one-click")
		_, err := e.svc.Unsubscribe(ctx, e.svc.Links.UnsubscribeToken(boris.ID, 0), app.UnsubscribeMarketing, formEvidence)
		must(t, err)
		e.flagsTrue(t, "unsubscribe")
		in := app.ProfileInput{Name: boris.Name, Phone: boris.Phone, Marketing: true}
		must(t, e.svc.UpdateProfile(ctx, e.svc.Links.PreferencesToken(boris), in, formEvidence))
		e.flagsTrue(t, "preferences (advertising granted again)")

		// A new address that is on the suppression list.
		_, err = e.svc.SuppressManually(ctx, officer, "vera.new@example.com", "")
		must(t, err)
		e.flagsTrue(t, "manual suppression")
		must(t, e.svc.ChangeEmail(ctx, e.svc.Links.PreferencesToken(vera), "vera.new@example.com", formEvidence))
		_, err = e.svc.Confirm(ctx, e.lastConfirmationToken(t, vera.ID), formEvidence)
		must(t, err)
		if !e.suppressedFlag(t, vera.ID) {
			t.Fatal("the new address is suppressed: the flag says not")
		}
		e.flagsTrue(t, "change of address")
		must(t, e.svc.RemoveSuppression(ctx, officer, "vera.new@example.com"))
		e.flagsTrue(t, "removal of a manual suppression")

		must(t, e.svc.Revoke(ctx, e.svc.Links.PreferencesToken(gleb), formEvidence))
		e.flagsTrue(t, "revocation")
		_, err = e.svc.Block(ctx, officer, dina.ID, app.BlockInput{Reason: "disputed"})
		must(t, err)
		e.flagsTrue(t, "block")
		_, err = e.svc.Unblock(ctx, officer, dina.ID, app.BlockInput{Reason: "checked"})
		must(t, err)
		e.flagsTrue(t, "unblock")

		sc := e.sendCampaign(t, nil)
		_, err = e.svc.RecordWebhook(ctx, "request-1", []app.FeedbackEvent{{Key: "c1", Source: app.FeedbackFromSES,
			Kind: app.FeedbackComplaint, RefHints: sc.ref(e, dina), Recipient: "dina@example.com"}})
		must(t, err)
		if !e.suppressedFlag(t, dina.ID) {
			t.Fatal("a complaint suppresses: the flag says not")
		}
		e.flagsTrue(t, "complaint")
		_, err = e.svc.LiftSuppression(ctx, officer, "dina@example.com", "asked us by phone")
		must(t, err)
		e.flagsTrue(t, "lift of a suppression")

		must(t, e.svc.Erase(ctx, boris.ID, 0, "test"))
		e.flagsTrue(t, "erasure")

		_, err = e.svc.SuppressManually(ctx, officer, "zoe@example.com", "")
		must(t, err)
		file := "Name,E-mail,Phone,Consent Time,Source,Marketing\n" +
			"Ivan Petrov,ivan@example.com,,2025-03-01 10:00:00,Spring fair,yes\n" +
			"Olga Petrova,olga@example.com,,2025-03-01 10:00:00,Spring fair,no\n" +
			"Zoe Suppressed,zoe@example.com,,2025-03-01 10:00:00,Spring fair,yes\n"
		_, err = e.importer().Import(ctx, strings.NewReader(file), app.ImportOptions{Actor: "test", BatchSize: 2})
		must(t, err)
		e.flagsTrue(t, "import")

		for _, purpose := range []app.CampaignPurpose{app.CampaignMarketing, app.CampaignInformational} {
			a := app.Audience{Purpose: purpose}
			n, err := e.store.CountAudience(ctx, a)
			must(t, err)
			if got := e.materialized(t, a); n.Total != got || n.Total == 0 {
				t.Fatalf("%s: count %+v, materialization %d", purpose, *n, got)
			}
		}
	})
}

// suppressedFlag reads the suppression flag of a subscriber (both
// engines take the literal id).
func (e *env) suppressedFlag(t *testing.T, id int64) bool {
	t.Helper()
	db, err := e.store.DB()
	must(t, err)
	var n int
	must(t, db.QueryRowContext(context.Background(),
		fmt.Sprintf(`SELECT COUNT(*) FROM subscribers WHERE id = %d AND suppressed`, id)).Scan(&n))
	return n == 1
}

// materialized is how many deliveries a new campaign to a would have:
// materialization as the dispatch runs it.
func (e *env) materialized(t *testing.T, a app.Audience) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := (&app.Campaigns{Store: e.store}).Create(ctx, &app.Admin{ID: 1, Role: app.RoleMarketer}, app.CampaignInput{
		Name: "Count", Subject: "News", Purpose: a.Purpose, BodyHTML: "<p>Hi</p>"})
	must(t, err)
	return e.startMaterialized(t, c, a)
}

// startMaterialized schedules the draft c for a moment ago, starts it and
// makes its deliveries to a, as the dispatch does; it returns how many.
func (e *env) startMaterialized(t *testing.T, c *app.Campaign, a app.Audience) int64 {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Second)
	cur, err := e.store.TransitionCampaign(ctx, c.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
		To: app.CampaignScheduled, SendAt: &at, BumpVersion: true})
	must(t, err)
	if ok, err := e.store.StartCampaign(ctx, c.ID, cur.Version, time.Now()); err != nil || !ok {
		t.Fatalf("start: %v %v", ok, err)
	}
	from, maxID, err := e.store.BeginMaterialization(ctx, c.ID)
	must(t, err)
	n, err := e.store.MaterializeDeliveries(ctx, c.ID, a, from, maxID+1)
	must(t, err)
	return n
}
