package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

// relayed takes every outbox row waiting and returns their kinds and
// payloads, as the relay would hand them to the queue.
func relayed(t *testing.T, e *env) map[string][]json.RawMessage {
	t.Helper()
	out := map[string][]json.RawMessage{}
	_, err := e.store.RelayOutbox(context.Background(), 1000, func(m app.OutboxMessage) error {
		out[m.Kind] = append(out[m.Kind], m.Payload)
		return nil
	})
	must(t, err)
	return out
}

func marketingGranted(t *testing.T, e *env, id int64) bool {
	t.Helper()
	consents, err := e.store.Consents(context.Background(), id)
	must(t, err)
	for _, c := range consents {
		if c.Purpose == app.PurposeMarketing {
			return c.Granted
		}
	}
	return false
}

func TestOneClickUnsubscribe(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "reader@example.com")
		relayed(t, e)
		token := e.svc.Links.UnsubscribeToken(sub.ID, 77)

		// Looking changes nothing (mail scanners fetch links).
		st, err := e.svc.UnsubscribeState(ctx, token)
		must(t, err)
		if st.Subscriber == nil || !st.Marketing || st.CampaignID != 77 || st.MaskedEmail() != "r***@example.com" {
			t.Fatalf("state %+v %q", st, st.MaskedEmail())
		}
		if !marketingGranted(t, e, sub.ID) {
			t.Fatal("looking at the page withdrew the consent")
		}

		ev := app.Evidence{IP: "192.0.2.9", UserAgent: "MailProvider/2.0"}
		for i := 0; i < 2; i++ { // the second time changes nothing
			must(t, e.svc.OneClickUnsubscribe(ctx, token, ev))
		}
		if marketingGranted(t, e, sub.ID) {
			t.Fatal("marketing consent still granted")
		}
		events, _ := e.store.ConsentEvents(ctx, sub.ID)
		var withdrawn []app.ConsentEvent
		for _, ev := range events {
			if ev.Action == app.ConsentWithdrawn {
				withdrawn = append(withdrawn, ev)
			}
		}
		if len(withdrawn) != 1 || withdrawn[0].Channel != app.ChannelOneClick || withdrawn[0].IP != "192.0.2.9" ||
			withdrawn[0].RequestID == nil || withdrawn[0].Purpose != app.PurposeMarketing {
			t.Fatalf("withdrawal events %+v", withdrawn)
		}
		reqs, _ := e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID})
		if len(reqs) != 1 || reqs[0].Kind != app.KindMarketingOptout || reqs[0].Status != app.RequestCompleted ||
			reqs[0].Channel != app.ChannelOneClick || reqs[0].CampaignID == nil || *reqs[0].CampaignID != 77 ||
			reqs[0].CompletedAt == nil || reqs[0].ID != *withdrawn[0].RequestID {
			t.Fatalf("register %+v", reqs)
		}
		if sub2, _ := e.store.Subscriber(ctx, sub.ID); sub2.Status != app.StatusActive {
			t.Fatalf("status %s: informational mail must continue", sub2.Status)
		}
		if st, _ := e.svc.UnsubscribeState(ctx, token); st.Marketing {
			t.Fatal("page still offers to stop marketing")
		}
	})
}

func TestUnsubscribeTokens(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "tokens@example.com")
		good := e.svc.Links.UnsubscribeToken(sub.ID, 3)
		altered := []byte(good)
		altered[len(altered)/2] ^= 1
		if altered[len(altered)/2] == '_' || altered[len(altered)/2] == '-' {
			altered[len(altered)/2] = 'A'
		}
		other, err := app.NewSigner([]byte("another-installation-secret-0123456789"))
		must(t, err)
		cases := []struct {
			name  string
			token string
		}{
			{"Empty", ""},
			{"Garbage", "not-a-token"},
			{"Altered", string(altered)},
			{"ForgedWithAnotherKey", other.Sign(app.Token{Purpose: app.TokenUnsubscribe, SubscriberID: sub.ID, IssuedAt: e.now})},
			{"PreferencesToken", e.svc.Signer.Sign(app.Token{Purpose: app.TokenPreferences, SubscriberID: sub.ID, IssuedAt: e.now,
				ExpiresAt: e.now.Add(time.Hour)})},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if err := e.svc.OneClickUnsubscribe(ctx, c.token, app.Evidence{}); !errors.Is(err, app.ErrTokenInvalid) {
					t.Fatalf("one-click: %v, want ErrTokenInvalid", err)
				}
				if _, err := e.svc.UnsubscribeState(ctx, c.token); !errors.Is(err, app.ErrTokenInvalid) {
					t.Fatalf("page: %v, want ErrTokenInvalid", err)
				}
			})
		}
		if !marketingGranted(t, e, sub.ID) {
			t.Fatal("a bad token changed the consent")
		}

		// Years later, after a key rotation, the old link still works.
		rotated, err := app.NewSigner([]byte("the-new-signing-key-0123456789abcdef"), []byte("0123456789abcdef0123456789abcdef-test"))
		must(t, err)
		later := &app.Subscriptions{Core: &app.Core{Store: e.store, Signer: rotated, Links: e.svc.Links, Calendar: e.svc.Calendar,
			Now: func() time.Time { return e.now.Add(5 * 365 * 24 * time.Hour) }}}
		must(t, later.OneClickUnsubscribe(ctx, good, app.Evidence{}))
		if marketingGranted(t, e, sub.ID) {
			t.Fatal("old link did not work after rotation")
		}
	})
}

func TestUnsubscribePageChoices(t *testing.T) {
	cases := []struct {
		choice     string
		marketing  bool
		processing bool
		outbox     string
		request    app.RequestKind
	}{
		{app.UnsubscribeMarketing, false, true, "", app.KindMarketingOptout},
		{app.UnsubscribePreferences, true, true, app.OutboxPreferences, ""},
	}
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.choice, func(t *testing.T) {
				sub := e.activeSubscriber(t, c.choice+"@example.com")
				relayed(t, e)
				token := e.svc.Links.UnsubscribeToken(sub.ID, 0)
				if _, err := e.svc.Unsubscribe(ctx, token, c.choice, formEvidence); err != nil {
					t.Fatal(err)
				}
				consents, _ := e.store.Consents(ctx, sub.ID)
				for _, cs := range consents {
					want := map[app.Purpose]bool{app.PurposeMarketing: c.marketing, app.PurposeProcessing: c.processing}[cs.Purpose]
					if cs.Granted != want {
						t.Errorf("%s granted %v, want %v", cs.Purpose, cs.Granted, want)
					}
				}
				out := relayed(t, e)
				if c.outbox != "" && len(out[c.outbox]) != 1 {
					t.Errorf("outbox %v lacks %s", out, c.outbox)
				}
				reqs, _ := e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID})
				if c.request == "" && len(reqs) != 0 || c.request != "" && (len(reqs) != 1 || reqs[0].Kind != c.request ||
					reqs[0].Channel != app.ChannelWeb) {
					t.Errorf("register %+v", reqs)
				}
			})
		}
		if _, err := e.svc.Unsubscribe(ctx, e.svc.Links.UnsubscribeToken(1, 0), "everything", formEvidence); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("unknown choice: %v", err)
		}
		// An unsubscribe link travels in bulk mail, and bulk mail gets
		// forwarded: it can no longer revoke consent (which erases the
		// person). That is done in the preference centre, behind a
		// confirmation.
		t.Run("all", func(t *testing.T) {
			sub := e.activeSubscriber(t, "all@example.com")
			relayed(t, e)
			if _, err := e.svc.Unsubscribe(ctx, e.svc.Links.UnsubscribeToken(sub.ID, 0), "all", formEvidence); app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("choice all: %v, want EINVALID", err)
			}
			if !marketingGranted(t, e, sub.ID) {
				t.Error("choice all withdrew a consent")
			}
			if out := relayed(t, e); len(out) != 0 {
				t.Errorf("choice all queued %v", out)
			}
			if reqs, _ := e.store.QueryRequests(ctx, app.RequestQuery{SubscriberID: sub.ID}); len(reqs) != 0 {
				t.Errorf("choice all recorded %+v", reqs)
			}
		})
	})
}

// emailed stores a message and acts on it as the worker would after
// examining it.
func emailed(t *testing.T, e *env, raw string, req app.EmailRequest) *app.InboundMessage {
	t.Helper()
	ctx := context.Background()
	id, created, err := e.svc.ReceiveInbound(ctx, []byte(raw), app.InboundSource{Source: app.InboundWebhook})
	must(t, err)
	if !created {
		t.Fatal("message not stored")
	}
	req.InboundID = id
	req.Disposition = app.EmailIsRequest
	m, err := e.svc.ActOnEmail(ctx, req)
	must(t, err)
	return m
}

func TestEmailedRevocationNeedsConfirmation(t *testing.T) {
	for _, keep := range []bool{false, true} {
		name := map[bool]string{false: "Confirmed", true: "Kept"}[keep]
		t.Run(name, func(t *testing.T) {
			forEachDialect(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				sub := e.activeSubscriber(t, "victim@example.com")
				relayed(t, e)
				m := emailed(t, e, "Message-ID: <rev-1@example.net>\r\nFrom: victim@example.com\r\nSubject: Revoke\r\n\r\nRevoke.\r\n",
					app.EmailRequest{From: "victim@example.com", Kind: app.KindConsentRevocation, Lang: "en"})
				if m.Reply != app.ReplyRevokeConfirm || m.ConfirmationID == nil || m.EraseAfterReply || !m.ReplyPersonal {
					t.Fatalf("acted %+v", m)
				}
				got, _ := e.store.Subscriber(ctx, sub.ID)
				if got.Status != app.StatusBlocked {
					t.Fatalf("status %s: all mail must stop at once", got.Status)
				}
				if !marketingGranted(t, e, sub.ID) {
					t.Fatal("an unverified message withdrew a consent")
				}
				r, _ := e.store.Request(ctx, *m.RequestID)
				if r.Status != app.RequestAwaitingConfirmation || r.Verification != app.Unverified || r.Channel != app.ChannelEmail {
					t.Fatalf("request %+v", r)
				}
				if len(relayed(t, e)[app.OutboxErase]) != 0 {
					t.Fatal("erasure queued before confirmation")
				}
				c, err := e.store.Confirmation(ctx, *m.ConfirmationID)
				must(t, err)
				link := e.svc.Links.Revoke(c.ID, sub.ID, c.ExpiresAt)
				token := link[strings.LastIndexByte(link, '/')+1:]
				if _, err := e.svc.CheckRevocation(ctx, token); err != nil {
					t.Fatalf("check: %v", err)
				}
				if keep {
					must(t, e.svc.CancelRevocation(ctx, token))
					got, _ := e.store.Subscriber(ctx, sub.ID)
					r, _ := e.store.Request(ctx, r.ID)
					if got.Status != app.StatusActive || r.Status != app.RequestRejected || !marketingGranted(t, e, sub.ID) {
						t.Fatalf("after keeping: %s %s", got.Status, r.Status)
					}
				} else {
					must(t, e.svc.ConfirmRevocation(ctx, token, formEvidence))
					consents, _ := e.store.Consents(ctx, sub.ID)
					for _, cs := range consents {
						if cs.Granted {
							t.Fatalf("%s still granted", cs.Purpose)
						}
					}
					out := relayed(t, e)
					var ref app.SubscriberRef
					if len(out[app.OutboxErase]) != 1 || json.Unmarshal(out[app.OutboxErase][0], &ref) != nil ||
						ref.SubscriberID != sub.ID || ref.RequestID != r.ID {
						t.Fatalf("erasure not queued for the request: %v", out)
					}
					r, _ := e.store.Request(ctx, r.ID)
					if r.Verification != app.VerifiedLink {
						t.Fatalf("verification %q", r.Verification)
					}
				}
				if err := e.svc.ConfirmRevocation(ctx, token, formEvidence); !errors.Is(err, app.ErrLinkUsed) {
					t.Fatalf("second use: %v", err)
				}
			})
		})
	}
}

func TestReviewQueue(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "asker@example.com")
		relayed(t, e)
		summary := &app.MessageSummary{From: "asker@example.com", Subject: "Question", Text: "What do you keep about me?"}
		m := emailed(t, e, "Message-ID: <q-1@example.net>\r\nFrom: asker@example.com\r\nSubject: Question\r\n\r\nWhat?\r\n",
			app.EmailRequest{From: "asker@example.com", Kind: app.KindUnknown, Lang: "en", Summary: summary})
		if m.Reply != app.ReplyReview {
			t.Fatalf("reply %q", m.Reply)
		}
		must(t, e.svc.FinishEmail(ctx, m.ID, m.Round, true))
		relayed(t, e)
		items, err := e.svc.ReviewQueue(ctx, 0, 10)
		must(t, err)
		if len(items) != 1 || items[0].Message == nil || items[0].Message.Text != summary.Text || items[0].SubscriberID == nil ||
			*items[0].SubscriberID != sub.ID {
			t.Fatalf("queue %+v", items)
		}
		officer := &app.Admin{ID: 5, Role: app.RolePrivacyOfficer}
		if _, err := e.svc.AssignRequest(ctx, officer, items[0].ID, app.KindUnknown); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("assign unknown: %v", err)
		}
		r, err := e.svc.AssignRequest(ctx, officer, items[0].ID, app.KindAccess)
		must(t, err)
		if r.Kind != app.KindAccess || r.Status != app.RequestReceived {
			t.Fatalf("assigned %+v", r)
		}
		if _, err := e.svc.AssignRequest(ctx, officer, items[0].ID, app.KindAccess); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("second assign: %v", err)
		}
		if out := relayed(t, e); len(out[app.OutboxInboundProcess]) != 1 {
			t.Fatalf("message not queued again: %v", out)
		}
		m, _ = e.svc.InboundMessage(ctx, m.ID)
		if m.Round != 1 || m.ForcedKind != app.KindAccess || m.Status != app.InboundReceived {
			t.Fatalf("message %+v", m)
		}
		// Processed again: the subject still says nothing, the officer's
		// kind decides; the same request is completed.
		m, err = e.svc.ActOnEmail(ctx, app.EmailRequest{InboundID: m.ID, Round: 1, Disposition: app.EmailIsRequest,
			From: "asker@example.com", Kind: app.KindUnknown, Lang: "en"})
		must(t, err)
		if m.Reply != app.ReplyAccess || *m.RequestID != r.ID {
			t.Fatalf("after assignment %+v", m)
		}
		if r, _ := e.store.Request(ctx, r.ID); r.Status != app.RequestCompleted || r.Kind != app.KindAccess {
			t.Fatalf("request %+v", r)
		}

		// Rejection.
		m2 := emailed(t, e, "Message-ID: <q-2@example.net>\r\nFrom: asker@example.com\r\nSubject: Hi\r\n\r\nHi\r\n",
			app.EmailRequest{From: "asker@example.com", Kind: app.KindUnknown, Lang: "en"})
		if _, err := e.svc.RejectRequest(ctx, officer, *m2.RequestID, ""); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("reject without a reason: %v", err)
		}
		r2, err := e.svc.RejectRequest(ctx, officer, *m2.RequestID, "not a request about personal data")
		must(t, err)
		if r2.Status != app.RequestRejected {
			t.Fatalf("rejected %+v", r2)
		}
		if _, err := e.svc.RejectRequest(ctx, officer, r.ID, "x"); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("reject a completed request: %v", err)
		}
	})
}

func TestReceiveInboundOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		raw := []byte("Message-ID: <once@example.net>\r\nFrom: a@example.com\r\nSubject: x\r\n\r\nbody\r\n")
		id, created, err := e.svc.ReceiveInbound(ctx, raw, app.InboundSource{Source: app.InboundIMAP, UID: 3, UIDValidity: 9})
		must(t, err)
		// The same message again, as the webhook or after a restart,
		// with other transport headers.
		again := append([]byte("Received: from mx2\r\n"), raw...)
		id2, created2, err := e.svc.ReceiveInbound(ctx, again, app.InboundSource{Source: app.InboundWebhook})
		must(t, err)
		if !created || created2 || id2 != id {
			t.Fatalf("ids %d %d created %v %v", id, id2, created, created2)
		}
		if out := relayed(t, e); len(out[app.OutboxInboundProcess]) != 1 {
			t.Fatalf("processing queued %d times", len(out[app.OutboxInboundProcess]))
		}
		for _, bad := range [][]byte{nil, []byte("  \r\n")} {
			if _, _, err := e.svc.ReceiveInbound(ctx, bad, app.InboundSource{Source: app.InboundWebhook}); app.ErrorCode(err) != app.EINVALID {
				t.Fatalf("empty message: %v", err)
			}
		}
	})
}

func TestMessageKey(t *testing.T) {
	cases := []struct {
		name string
		a, b string
		same bool
	}{
		{"SameIDOtherHeaders", "Message-ID: <x@y>\r\nSubject: a\r\n\r\n", "Received: z\r\nMessage-Id:  <x@y> \r\n\r\n", true},
		{"OtherID", "Message-ID: <x@y>\r\n\r\n", "Message-ID: <x2@y>\r\n\r\n", false},
		{"NoIDSameBytes", "Subject: a\r\n\r\nbody", "Subject: a\r\n\r\nbody", true},
		{"NoIDOtherBytes", "Subject: a\r\n\r\nbody", "Subject: a\r\n\r\nbody2", false},
		{"IDWithComment", "Message-ID: (c) <x@y>\r\n\r\n", "Message-ID: <x@y>\r\n\r\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := app.MessageKey([]byte(c.a)) == app.MessageKey([]byte(c.b)); got != c.same {
				t.Fatalf("same key %v, want %v", got, c.same)
			}
		})
	}
}

// TestRepliesFollowMailRules: an answer to an emailed request is mail like
// any other: not to an address suppressed by hand, and through
// infrastructure in a country without adequate protection only to a person
// who gave the cross-border consent (judged before the request withdraws
// it). The request is recorded either way.
func TestRepliesFollowMailRules(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		crossBorder := e.activeSubscriber(t, "abroad@example.com")
		must(t, e.store.SetConsent(ctx, crossBorder.ID, app.PurposeCrossBorder, true, e.now))
		e.activeSubscriber(t, "local@example.com")
		e.activeSubscriber(t, "manual@example.com")
		must(t, e.store.Suppress(ctx, e.svc.Signer.KeyedHash("manual@example.com"), app.SuppressManual, ""))

		cases := []struct {
			name        string
			from        string
			kind        app.RequestKind
			verified    bool
			crossBorder bool
			reply       string
		}{
			{"ManualSuppression", "manual@example.com", app.KindAccess, false, false, ""},
			{"StrangerAbroad", "stranger@example.com", app.KindMarketingOptout, false, true, ""},
			{"NoCrossBorderConsent", "local@example.com", app.KindAccess, false, true, ""},
			{"CrossBorderConsentRevoking", "abroad@example.com", app.KindConsentRevocation, true, true, app.ReplyRevoked},
			// Anyone can write any From: an unverified stranger gets no
			// answer (backscatter); a verified one is told we hold nothing.
			{"StrangerAtHome", "stranger@example.com", app.KindMarketingOptout, false, false, ""},
			{"VerifiedStrangerAtHome", "verified.stranger@example.com", app.KindMarketingOptout, true, false, app.ReplyNothingHeld},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.svc.Operator.SMTPCountry = "RU"
				if c.crossBorder {
					e.svc.Operator.SMTPCountry = "US"
				}
				if !e.svc.Operator.CrossBorderRequired() == c.crossBorder {
					t.Fatalf("cross-border rule not in force as the case needs")
				}
				m := emailed(t, e, fmt.Sprintf("Message-ID: <rules-%d@example.net>\r\nFrom: %s\r\nSubject: x\r\n\r\nx\r\n", i, c.from),
					app.EmailRequest{From: c.from, Kind: c.kind, Lang: "en", Verified: c.verified, Verification: app.VerifiedDKIM})
				if m.Reply != c.reply || m.RequestID == nil {
					t.Fatalf("reply %q request %v, want %q and a request", m.Reply, m.RequestID, c.reply)
				}
			})
		}
	})
}

// TestEmailedDataUpdate: an unverified correction blocks the record and
// changes nothing; a verified one applies the corrections, completes the
// earlier request too and lifts its block.
func TestEmailedDataUpdate(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "fixme@example.com")
		first := emailed(t, e, "Message-ID: <upd-1@example.net>\r\nFrom: fixme@example.com\r\nSubject: x\r\n\r\nx\r\n",
			app.EmailRequest{From: "fixme@example.com", Kind: app.KindDataUpdate, Lang: "ru", Name: "Spoofed Name"})
		got, _ := e.store.Subscriber(ctx, sub.ID)
		if got.Status != app.StatusBlocked || got.Name != "Anna Petrova" || first.Reply != app.ReplyUpdate {
			t.Fatalf("after the unverified message: %s %q reply %q", got.Status, got.Name, first.Reply)
		}
		second := emailed(t, e, "Message-ID: <upd-2@example.net>\r\nFrom: fixme@example.com\r\nSubject: x\r\n\r\nx\r\n",
			app.EmailRequest{From: "fixme@example.com", Kind: app.KindDataUpdate, Lang: "ru", Verified: true,
				Verification: app.VerifiedDKIM, Name: "Анна Петрова-Смирнова", Phone: "8 (916) 123-45-67"})
		got, _ = e.store.Subscriber(ctx, sub.ID)
		if got.Status != app.StatusActive || got.Name != "Анна Петрова-Смирнова" || got.Phone != "+79161234567" || second.Reply != app.ReplyUpdated {
			t.Fatalf("after the verified message: %s %q %q reply %q", got.Status, got.Name, got.Phone, second.Reply)
		}
		for _, id := range []int64{*first.RequestID, *second.RequestID} {
			if r, _ := e.store.Request(ctx, id); r.Status != app.RequestCompleted {
				t.Errorf("request %d: %s", id, r.Status)
			}
		}
	})
}
