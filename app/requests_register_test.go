package app_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app"
)

// TestRegisterSeveralKindsReceivedEarlier: a letter received by phone on
// an earlier day that asks for two things is two requests, each with its
// deadline counted from the day it was received, in the operator's time
// zone; a future date, an unknown channel or a kind twice register nothing.
func TestRegisterSeveralKindsReceivedEarlier(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		moscow := time.FixedZone("MSK", 3*3600)
		cal, err := app.NewCalendar(moscow, nil)
		must(t, err)
		e.svc.Calendar = cal
		sub := e.activeSubscriber(t, "phone@example.com")
		in := app.RegisterInput{SubscriberID: sub.ID, Kinds: []app.RequestKind{app.KindAccess, app.KindDataUpdate},
			Channel: app.ChannelPhone, ReceivedOn: "2026-11-23", Note: "asked by phone"}
		for name, bad := range map[string]func(app.RegisterInput) app.RegisterInput{
			"future":  func(in app.RegisterInput) app.RegisterInput { in.ReceivedOn = "2027-01-01"; return in },
			"notdate": func(in app.RegisterInput) app.RegisterInput { in.ReceivedOn = "23.11.2026"; return in },
			"channel": func(in app.RegisterInput) app.RegisterInput { in.Channel = "pigeon"; return in },
			"twice": func(in app.RegisterInput) app.RegisterInput {
				in.Kinds = []app.RequestKind{app.KindAccess, app.KindAccess}
				return in
			},
		} {
			if _, err := e.svc.RegisterRequests(ctx, officer, bad(in)); app.ErrorCode(err) != app.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		rs, err := e.svc.RegisterRequests(ctx, officer, in)
		must(t, err)
		if len(rs) != 2 {
			t.Fatalf("%d requests, want 2", len(rs))
		}
		// Received Monday 23 November 2026 (00:00 in Moscow): access is due
		// 10 working days after, on Monday 7 December; the correction 7
		// after, on Wednesday 2 December; both at the end of the day in
		// Moscow.
		for i, want := range []time.Time{time.Date(2026, 12, 7, 23, 59, 59, 0, moscow), time.Date(2026, 12, 2, 23, 59, 59, 0, moscow)} {
			r := rs[i]
			if !r.ReceivedAt.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, moscow)) || r.Channel != app.ChannelPhone ||
				r.DueAt == nil || !r.DueAt.Equal(want) || *r.SubscriberID != sub.ID {
				t.Errorf("request %d: %+v due %v, want due %v", i, r, r.DueAt, want)
			}
		}
		if rs[0].Kind != app.KindAccess || rs[1].Kind != app.KindDataUpdate {
			t.Errorf("kinds %s, %s", rs[0].Kind, rs[1].Kind)
		}
		if got, _ := e.store.Subscriber(ctx, sub.ID); got.Status != app.StatusBlocked {
			t.Errorf("the correction did not block the person: %s", got.Status)
		}
	})
}
