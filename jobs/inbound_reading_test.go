package jobs_test

import (
	"context"
	"strings"
	"testing"

	"newsletter/app"
)

// TestInboundReading processes messages whose request is in the person's
// text, in transliteration, or is for someone else, end to end: what is
// clear is acted on at once, the rest waits for a privacy officer, and the
// sender is never opted out on someone else's behalf.
func TestInboundReading(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	tests := []struct {
		name, file, sender string
		kind               app.RequestKind
		status             app.RequestStatus
		reason             string // Summary.Reason of a message for review
		reply              string
		marketingKept      bool
	}{
		{"TranslitOptoutActs", "gmail_ru_translit_optout.eml", "dmitry.orlov@gmail.com",
			app.KindMarketingOptout, app.RequestCompleted, "", app.ReplyOptout, false},
		{"TranslitRevocationAsksConfirmation", "outlook_ru_translit_revocation.eml", "sergey.volkov@outlook.com",
			app.KindConsentRevocation, app.RequestAwaitingConfirmation, "", app.ReplyRevokeConfirm, true}, // blocked until confirmed
		{"AccessQuestionRecorded", "yandex_ru_access_question.eml", "n.sokolova@yandex.ru",
			app.KindAccess, app.RequestCompleted, "", app.ReplyAccess, true},
		{"AccessInTextOnly", "apple_en_access_body_only.eml", "mia.clark@icloud.com",
			app.KindAccess, app.RequestCompleted, "", app.ReplyAccess, true},
		{"OptoutInTextBelowOurCampaign", "outlook_ru_reply_campaign_optout.eml", "a.morozov@company.example.ru",
			app.KindMarketingOptout, app.RequestCompleted, "", app.ReplyOptout, false},
		{"WifeNotTheSender", "gmail_en_optout_wife.eml", "paul.turner@gmail.com",
			app.KindUnknown, app.RequestNeedsReview, app.ReviewOtherPerson, app.ReplyReview, true},
		{"SecondAddressNotThisOne", "mailru_ru_optout_second_address.eml", "petrov.p@mail.ru",
			app.KindUnknown, app.RequestNeedsReview, app.ReviewOtherPerson, app.ReplyReview, true},
		{"KeepSendingToThisOne", "outlook_en_optout_keep_this.eml", "chris.hall@outlook.com",
			app.KindUnknown, app.RequestNeedsReview, app.ReviewOtherPerson, app.ReplyReview, true},
		{"HusbandNotTheSender", "yandex_ru_optout_husband.eml", "irina.kozlova@yandex.ru",
			app.KindUnknown, app.RequestNeedsReview, app.ReviewOtherPerson, app.ReplyReview, true},
		{"DoNotUnsubscribe", "gmail_en_dont_unsubscribe.eml", "nina.scott@gmail.com",
			app.KindUnknown, app.RequestNeedsReview, app.ReviewContrary, app.ReplyReview, true},
		{"SeveralThings", "gmail_ru_optout_and_access.eml", "olga.novikova@gmail.com",
			app.KindUnknown, app.RequestNeedsReview, app.ReviewSeveral, app.ReplyReview, true},
		{"HeaderLineWithoutColon", "gateway_ru_optout_bad_header.eml", "boris.ivanov@example.ru",
			app.KindMarketingOptout, app.RequestCompleted, "", app.ReplyOptout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := in.subscriber(t, tt.sender)
			before := len(in.tr.sent())
			m := in.receive(t, fixture(t, tt.file))
			if m.Status != app.InboundDone || m.Outcome != app.EmailIsRequest || m.RequestID == nil {
				t.Fatalf("message %s/%s request %v", m.Status, m.Outcome, m.RequestID)
			}
			r, err := in.st.Request(ctx, *m.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.kind || r.Status != tt.status || r.SubscriberID == nil || *r.SubscriberID != sub.ID {
				t.Errorf("register %s/%s subscriber %v; want %s/%s of %d", r.Kind, r.Status, r.SubscriberID, tt.kind, tt.status, sub.ID)
			}
			if got := in.consent(t, sub.ID, app.PurposeMarketing); got != tt.marketingKept {
				t.Errorf("marketing consent %v, want %v", got, tt.marketingKept)
			}
			if tt.status == app.RequestNeedsReview {
				if m.Summary == nil || m.Summary.Reason != tt.reason || m.Summary.Text == "" {
					t.Errorf("summary for the reviewer %+v, want reason %q", m.Summary, tt.reason)
				}
			}
			replies := in.tr.sent()[before:]
			if len(replies) != 1 || m.Reply != tt.reply {
				t.Fatalf("%d replies, template %q; want %s", len(replies), m.Reply, tt.reply)
			}
			if !strings.Contains(replies[0].Text, "Здравствуйте") && !strings.Contains(replies[0].Text, "Hello") {
				t.Errorf("reply without a greeting:\n%s", replies[0].Text)
			}
			if strings.Contains(tt.file, "_ru_") && !strings.Contains(replies[0].Text, "Здравствуйте") {
				t.Errorf("reply to a Russian message not in Russian:\n%s", replies[0].Text)
			}
		})
	}
}

// TestInboundUnreadable: a message that cannot be read, or has no usable
// sender, is never closed silently: it waits for review with its raw text,
// unanswered.
func TestInboundUnreadable(t *testing.T) {
	in := newInbox(t)
	ctx := context.Background()
	for _, tt := range []struct{ name, raw, shows string }{
		{"NoHeaderAtAll", "\x00\x01 this is not a message, an opt-out was here\r\n", "an opt-out was here"},
		{"NoSender", "To: privacy@shop.example\r\nSubject: Unsubscribe\r\nMessage-ID: <nosender-1@example.com>\r\n\r\nPlease unsubscribe me.\r\n",
			"Please unsubscribe me."},
		{"SenderWithoutAddress", "From: Nobody\r\nSubject: Unsubscribe\r\nMessage-ID: <nosender-2@example.com>\r\n\r\nStop.\r\n", "From: Nobody"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(in.tr.sent())
			m := in.receive(t, []byte(tt.raw))
			if m.Status != app.InboundDone || m.Outcome != app.EmailIsMalformed || m.RequestID == nil {
				t.Fatalf("message %s/%s request %v: want a review item", m.Status, m.Outcome, m.RequestID)
			}
			r, err := in.st.Request(ctx, *m.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != app.RequestNeedsReview || r.Kind != app.KindUnknown || r.Channel != app.ChannelEmail || r.DueAt == nil {
				t.Errorf("register %+v", r)
			}
			if m.Summary == nil || m.Summary.Reason != app.ReviewUnreadable || !strings.Contains(m.Summary.Text, tt.shows) ||
				strings.ContainsRune(m.Summary.Text, 0) {
				t.Errorf("summary %+v, want the raw text", m.Summary)
			}
			queue, err := in.svc.ReviewQueue(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, it := range queue {
				found = found || it.ID == r.ID && it.Message != nil && strings.Contains(it.Message.Text, tt.shows)
			}
			if !found {
				t.Error("not in the review queue")
			}
			if n := len(in.tr.sent()) - before; n != 0 {
				t.Errorf("%d replies to a message without a sender", n)
			}
		})
	}
}
