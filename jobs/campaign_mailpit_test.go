package jobs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"newsletter/app"
	"newsletter/app/inbound"
	appmail "newsletter/app/mail"
	"newsletter/internal/testenv"
)

// TestCampaignThroughMailpit sends a campaign, DKIM-signed, to a real SMTP
// server and reads back what arrived: one message per eligible recipient,
// nothing for the others, the list headers, the footer, and a signature
// that verifies and covers both List-Unsubscribe headers.
func TestCampaignThroughMailpit(t *testing.T) {
	t.Parallel()
	e := newCampaignEnv(t)
	ctx := context.Background()
	mp := testenv.Mailpit(t)

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	signer, err := appmail.NewDKIMSigner("example.com", "news", keyPEM)
	if err != nil {
		t.Fatal(err)
	}

	p, m, x := app.PurposeProcessing, app.PurposeMarketing, app.PurposeCrossBorder
	want := map[string]*app.Subscriber{}
	for i, loc := range []string{"en", "ru", "en"} {
		s := e.addSubscriber(t, fmt.Sprintf("yes%d@example.com", i), app.StatusActive, p, m)
		s.Locale = loc
		if err := e.st.UpdateSubscriber(ctx, s); err != nil {
			t.Fatal(err)
		}
		want[s.Email] = s
	}
	want["cross@example.com"] = e.addSubscriber(t, "cross@example.com", app.StatusActive, p, m, x)
	e.addSubscriber(t, "informational-only@example.com", app.StatusActive, p)
	e.addSubscriber(t, "no-processing@example.com", app.StatusActive, m)
	e.addSubscriber(t, "blocked@example.com", app.StatusBlocked, p, m)
	e.addSubscriber(t, "unconfirmed@example.com", app.StatusPending, p, m)
	erased := e.addSubscriber(t, "erased@example.com", app.StatusActive, p, m)
	erased.Status, erased.Email, erased.Name = app.StatusErased, "", ""
	if err := e.st.UpdateSubscriber(ctx, erased); err != nil {
		t.Fatal(err)
	}
	bounced := e.addSubscriber(t, "bounced@example.com", app.StatusActive, p, m)
	if err := e.st.Suppress(ctx, bounced.EmailHash, app.SuppressHardBounce, ""); err != nil {
		t.Fatal(err)
	}

	r := e.runner(t, smtpTransport(t, mp.SMTPURL(), signer), fastOptions)
	e.startWorker(t, r)
	c, err := e.uc.Create(ctx, marketer, app.CampaignInput{Name: "Spring", Subject: "Spring offers, {{.Name}}",
		Purpose: app.CampaignMarketing, BodyHTML: testBody})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.uc.Schedule(ctx, marketer, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	done := e.waitStatus(t, c.ID, app.CampaignFinished, 30*time.Second)
	if done.Sent != int64(len(want)) {
		t.Fatalf("sent %d, want %d", done.Sent, len(want))
	}
	msgs := mp.WaitForCount(t, len(want), 10*time.Second)

	lookup := func(domain string) ([]string, error) {
		if domain != "news._domainkey.example.com" {
			return nil, fmt.Errorf("no TXT record for %s", domain)
		}
		return []string{signer.TXTRecord()}, nil
	}
	seenIDs := map[string]bool{}
	seenTo := map[string]bool{}
	idRE := regexp.MustCompile(`^<(d\d+\.c` + fmt.Sprint(c.ID) + `\.[0-9a-f]{16})@example\.com>$`)
	for _, sum := range msgs {
		raw, err := mp.Raw(ctx, sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		h := msg.Header
		to, _ := mail.ParseAddress(h.Get("To"))
		sub := want[to.Address]
		if sub == nil {
			t.Errorf("message to an ineligible address %s", to.Address)
			continue
		}
		if seenTo[to.Address] {
			t.Errorf("%s got two messages", to.Address)
		}
		seenTo[to.Address] = true
		t.Run(to.Address, func(t *testing.T) {
			if id := h.Get("Message-Id"); !idRE.MatchString(id) || seenIDs[id] {
				t.Errorf("Message-ID %q (unique per delivery expected)", id)
			} else {
				seenIDs[id] = true
				// The Message-ID is the delivery reference, repeated in a
				// header providers echo; it names this campaign.
				ref := idRE.FindStringSubmatch(id)[1]
				if got, ok := e.signer.FindDeliveryRef(id); !ok || got.CampaignID != c.ID {
					t.Errorf("Message-ID %q names no delivery of campaign %d: %+v", id, c.ID, got)
				}
				if got := h.Get(app.DeliveryRefHeader); got != ref {
					t.Errorf("%s %q, want %q", app.DeliveryRefHeader, got, ref)
				}
			}
			dec := new(mime.WordDecoder)
			subject, _ := dec.DecodeHeader(h.Get("Subject"))
			if subject != "Spring offers, "+sub.Name {
				t.Errorf("Subject %q", subject)
			}
			if got := h.Get("List-Id"); got != "Example Ltd <marketing.news.example.com>" {
				t.Errorf("List-Id %q", got)
			}
			if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe-Post %q", got)
			}
			lu := regexp.MustCompile(`^<(https://news\.example\.com/u/([A-Za-z0-9_-]+))>, <(mailto:privacy@example\.com\?subject=[^>]+)>$`).
				FindStringSubmatch(strings.Join(strings.Fields(h.Get("List-Unsubscribe")), " "))
			if lu == nil {
				t.Fatalf("List-Unsubscribe %q", h.Get("List-Unsubscribe"))
			}
			token := lu[2]
			tok, err := e.signer.Verify(token, app.TokenUnsubscribe, time.Now())
			if err != nil || tok.SubscriberID != sub.ID || tok.CampaignID != c.ID {
				t.Errorf("unsubscribe token %+v, %v", tok, err)
			}
			mu, _ := url.Parse(lu[3])
			lang := "en"
			if sub.Locale == "ru" {
				lang = "ru"
			}
			if got := mu.Query().Get("subject"); got != inbound.MailtoSubject(lang, token) {
				t.Errorf("mailto subject %q", got)
			} else if cl := inbound.Classify(got); cl.Kind != app.KindMarketingOptout || cl.Token != token {
				t.Errorf("the mailto subject classifies as %+v", cl)
			}

			verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup})
			if err != nil || len(verifs) != 1 || verifs[0].Err != nil {
				t.Fatalf("DKIM: %v %+v", err, verifs)
			}
			signed := strings.ToLower(strings.Join(verifs[0].HeaderKeys, ":"))
			for _, k := range []string{"list-unsubscribe", "list-unsubscribe-post", "from", "subject", "message-id", "list-id"} {
				if !slices.Contains(strings.Split(signed, ":"), k) {
					t.Errorf("DKIM h= lacks %s: %s", k, signed)
				}
			}

			text, html := parts(t, msg)
			for _, part := range []struct{ name, body string }{{"text", text}, {"html", html}} {
				for _, s := range []string{sub.Name, lu[1], "Example Ltd", "1 Main Street, Moscow", "https://news.example.com/privacy"} {
					if !strings.Contains(part.body, s) {
						t.Errorf("%s part lacks %q", part.name, s)
					}
				}
			}
			unsub := map[string]string{"en": ">Unsubscribe</a>", "ru": ">Отписаться</a>"}[lang]
			if !strings.Contains(html, unsub) {
				t.Errorf("html part lacks a visible %q link", unsub)
			}
		})
	}
	if len(seenTo) != len(want) {
		t.Fatalf("%d recipients got mail, want %d", len(seenTo), len(want))
	}
}

// parts returns the decoded text and HTML parts of a multipart/alternative
// message.
func parts(t *testing.T, msg *mail.Message) (text, html string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			r = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			text = string(b)
		case "text/html":
			html = string(b)
		}
	}
}
