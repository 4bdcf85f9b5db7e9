package jobs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/internal/testenv"
	"newsletter/jobs"
	"newsletter/templates"
)

// qualityStore is the little a transactional message needs from the
// database: one confirmation, one person, and claims that always succeed.
type qualityStore struct {
	conf *app.Confirmation
	sub  *app.Subscriber
}

func (q qualityStore) Confirmation(context.Context, int64) (*app.Confirmation, error) {
	return q.conf, nil
}
func (q qualityStore) Subscriber(context.Context, int64) (*app.Subscriber, error) { return q.sub, nil }
func (q qualityStore) ClaimMail(context.Context, string) (bool, error)            { return true, nil }
func (q qualityStore) FinishMail(context.Context, string, string, string) error   { return nil }

type qualityAnswers struct{ a *app.RequestAnswer }

func (q qualityAnswers) RequestAnswer(context.Context, app.AnswerRef) (*app.RequestAnswer, error) {
	return q.a, nil
}
func (q qualityAnswers) InboundRaw(context.Context, int64) ([]byte, error) { return nil, nil }

// qualityBody is a campaign as a marketer writes one: a heading, text, a
// picture with its alt text, links.
const qualityBody = `<h1>Spring offers</h1><p>Hello, {{.Name}}!</p>` +
	`<p><img src="https://news.example.com/spring.png" alt="Spring collection" width="552" style="width:100%;max-width:552px;height:auto"></p>` +
	`<p>Our new collection is here: light jackets, shoes for rain and sun, and bags for every day.</p>` +
	`<ul><li>Jackets from 49 EUR</li><li>Shoes from 39 EUR</li><li>Bags from 29 EUR</li></ul>` +
	`<p><a href="https://shop.example.com/spring">See the collection</a></p>` +
	`<p>Change what you receive on <a href="{{.PreferencesURL}}">your preferences page</a>.</p>`

// TestEveryHTMLMailPassesTheHTMLCheck sends each kind of HTML message the
// product sends through a real Mailpit: a confirmation, a campaign in
// English and in Russian, an answer to a request and an export link
// through their handlers, and every other template (replies, notices). Each
// scores at least 95 % in Mailpit's HTML compatibility check (caniemail's
// data), and its text part carries every link of its HTML.
func TestEveryHTMLMailPassesTheHTMLCheck(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	mp := testenv.Mailpit(t)
	tr := smtpTransport(t, mp.SMTPURL(), nil)

	// Transactional messages.
	sub := &app.Subscriber{ID: 5, Email: "anna@example.com", Name: "Anna", Locale: "ru", Status: app.StatusActive}
	conf := &app.Confirmation{ID: 9, SubscriberID: 5, Kind: app.ConfirmSubscribe, Email: "anna@example.com", Name: "Anna",
		Locale: "en", ExpiresAt: time.Now().Add(time.Hour)}
	tx := &jobs.Transactional{Store: qualityStore{conf: conf, sub: sub}, Render: testPages(t), Transport: tr, Links: e.links,
		From: "News <news@example.com>", Operator: testOperator, PendingTTL: 48 * time.Hour, Log: quietLog()}
	answer := &app.RequestAnswer{Subscriber: sub, RequestID: 12, Text: "We hold your name and address.\nNothing else.\n\nYours, the privacy team."}
	for _, h := range []struct {
		h       jobs.Handler
		payload any
	}{
		{jobs.ConfirmationMail{Transactional: tx}, app.ConfirmationRef{ConfirmationID: conf.ID}},
		{jobs.RequestAnswerMail{Transactional: tx, Answers: qualityAnswers{answer}}, app.AnswerRef{RequestID: 12, NoteID: 1}},
		{jobs.ExportMail{Transactional: tx}, app.SubscriberRef{SubscriberID: sub.ID}},
	} {
		b, _ := json.Marshal(h.payload)
		if err := h.h.ProcessTask(ctx, asynq.NewTask(h.h.Type(), b)); err != nil {
			t.Fatalf("%s: %v", h.h.Type(), err)
		}
	}

	// Every other message of the product's templates (replies to emailed
	// requests, notices, alerts), rendered as the handlers do, in Russian.
	others := []string{"email_change", "preferences", "deadline_alert", "reply_access", "reply_nothing", "reply_optout",
		"reply_review", "reply_revoke", "reply_revoke_confirm", "reply_update", "reply_update_done", "request_extended"}
	for _, name := range others {
		subject, htmlPart, text, err := testPages(t).Mail(name, "ru", jobs.MailData{Name: "Анна", Operator: testOperator.Name,
			OperatorAddress: testOperator.Address, SiteURL: "https://news.example.com", URL: "https://news.example.com/p/TOKEN",
			Days: 3, Received: "1 декабря 2026", Due: "15 декабря 2026", Reason: "много данных", Overdue: 1, DueSoon: 2,
			Requests: []templates.AlertRequest{{ID: 3, Kind: "access", Channel: "email", Due: "15 декабря 2026", Overdue: true}}})
		if err != nil {
			t.Fatal(err)
		}
		res := tr.Send(ctx, []*appmail.Message{{From: "News <news@example.com>", To: name + "@example.com", Subject: subject,
			HTML: htmlPart, Text: text, MessageID: name + "@example.com"}})
		if !res[0].OK() {
			t.Fatalf("%s: %v", name, res[0].Err)
		}
	}

	// A campaign, to a person of each language.
	p, m := app.PurposeProcessing, app.PurposeMarketing
	for _, loc := range []string{"en", "ru"} {
		s := e.addSubscriber(t, "reader-"+loc+"@example.com", app.StatusActive, p, m)
		s.Locale, s.Name = loc, "Reader "+loc
		if err := e.st.UpdateSubscriber(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	r := e.runner(t, tr, fastOptions)
	e.startWorker(t, r)
	c, err := e.uc.Create(ctx, marketer, app.CampaignInput{Name: "Spring", Subject: "Spring offers, {{.Name}}",
		Purpose: app.CampaignMarketing, BodyHTML: qualityBody})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)

	msgs := mp.WaitForCount(t, 5+len(others), 20*time.Second)
	kinds := map[string]bool{}
	for _, sum := range msgs {
		kind := sum.Subject
		switch {
		case strings.Contains(sum.Subject, "Confirm"):
			kind = "confirmation"
		case strings.Contains(sum.Subject, "№ 12"):
			kind = "answer"
		case strings.Contains(sum.Subject, "Spring") && sum.To[0] == "reader-en@example.com":
			kind = "campaign en"
		case strings.Contains(sum.Subject, "Spring"):
			kind = "campaign ru"
		case sum.To[0] == "anna@example.com":
			kind = "export"
		case strings.HasSuffix(sum.To[0], "@example.com"):
			kind = strings.TrimSuffix(sum.To[0], "@example.com")
		}
		kinds[kind] = true
		check, err := mp.HTMLCheck(ctx, sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		var worst []string
		for _, w := range check.Warnings {
			if w.Score.Found > 0 && len(worst) < 4 {
				worst = append(worst, fmt.Sprintf("%s×%d (%.0f%% partial, %.0f%% unsupported)", w.Slug, w.Score.Found, w.Score.Partial, w.Score.Unsupported))
			}
		}
		t.Logf("%s: %.1f %% supported (%d nodes); lowered most by %v", kind, check.Total.Supported, check.Total.Nodes, worst)
		if check.Total.Supported < 95 {
			t.Errorf("%s: HTML check %.1f %% supported, want at least 95 %%: %v", kind, check.Total.Supported, worst)
		}
		parts, err := mp.Parts(ctx, sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		hrefs := linksOf(t, parts.HTML)
		if len(hrefs) == 0 && !slices.Contains([]string{"answer", "reply_nothing", "reply_review", "reply_revoke"}, kind) {
			t.Errorf("%s: no link in the HTML", kind)
		}
		for _, href := range hrefs {
			if !strings.Contains(parts.Text, href) {
				t.Errorf("%s: the text part lacks the link %s:\n%s", kind, href, parts.Text)
			}
		}
	}
	for _, k := range append([]string{"confirmation", "answer", "export", "campaign en", "campaign ru"}, others...) {
		if !kinds[k] {
			t.Errorf("no %s message among %v", k, kinds)
		}
	}
}

// linksOf returns the href of every link of an HTML document.
func linksOf(t *testing.T, doc string) []string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := range root.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			for _, a := range n.Attr {
				if a.Key == "href" && !slices.Contains(out, a.Val) {
					out = append(out, a.Val)
				}
			}
		}
	}
	return out
}
