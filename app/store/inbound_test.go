package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
)

func addInbound(t *testing.T, s *store.Store, key string, raw []byte) (int64, bool) {
	t.Helper()
	m := &app.InboundMessage{MessageKey: key, Source: app.InboundIMAP, ReceivedAt: time.Now(), UIDValidity: 7, UID: 42}
	created, err := s.AddInbound(context.Background(), m, raw)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID, created
}

func TestInboundMessages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		raw := []byte("Message-ID: <a@b>\r\nSubject: hi\r\n\r\nbody\r\n")
		id, created := addInbound(t, s, "key-1", raw)
		if !created || id == 0 {
			t.Fatalf("first add: id %d created %v", id, created)
		}
		again, created := addInbound(t, s, "key-1", []byte("other bytes"))
		if created || again != id {
			t.Fatalf("second add of the same key: id %d created %v, want %d false", again, created, id)
		}
		got, err := s.InboundRaw(ctx, id)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("raw %q %v", got, err)
		}
		m, err := s.InboundMessage(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != app.InboundReceived || m.UID != 42 || m.UIDValidity != 7 || m.Size != len(raw) || m.Source != app.InboundIMAP {
			t.Fatalf("stored %+v", m)
		}

		// Processing fields round-trip.
		now := time.Now().UTC().Truncate(time.Second)
		sub := &app.Subscriber{Email: "p@example.com", EmailHash: "h", Name: "P", Locale: "en", Status: app.StatusActive}
		if err := s.CreateSubscriber(ctx, sub); err != nil {
			t.Fatal(err)
		}
		m.Status, m.Kind, m.Outcome, m.Lang = app.InboundActed, app.KindAccess, app.EmailIsRequest, "ru"
		m.SubscriberID, m.Reply, m.ReplyPersonal, m.SenderHash = &sub.ID, app.ReplyAccess, true, "sender-1"
		m.Summary = &app.MessageSummary{From: "p@example.com", Subject: "Доступ", Text: "текст"}
		m.RepliedAt, m.ProcessedAt = &now, &now
		if err := s.UpdateInbound(ctx, m); err != nil {
			t.Fatal(err)
		}
		err = s.Tx(ctx, func(tx app.Store) error {
			locked, err := tx.Inbound().LockInbound(ctx, id)
			if err != nil {
				return err
			}
			if locked.Kind != app.KindAccess || !locked.ReplyPersonal || locked.Summary == nil || locked.Summary.Subject != "Доступ" ||
				locked.SubscriberID == nil || *locked.SubscriberID != sub.ID || locked.Lang != "ru" {
				t.Errorf("after update %+v", locked)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountReplies(ctx, "sender-1", now.Add(-time.Hour)); err != nil || n != 1 {
			t.Fatalf("replies %d %v, want 1", n, err)
		}
		if n, _ := s.CountReplies(ctx, "sender-1", now.Add(time.Hour)); n != 0 {
			t.Fatalf("replies after the window: %d", n)
		}

		// Erasure destroys the person's raw messages and what was read
		// from them; the row stays so the message is still recognized.
		if err := s.ErasePersonalData(ctx, sub.ID, now); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.InboundRaw(ctx, id); got != nil {
			t.Fatalf("raw after erasure: %q", got)
		}
		m, _ = s.InboundMessage(ctx, id)
		if m.Summary != nil || m.SenderHash != "" {
			t.Fatalf("summary or sender hash after erasure: %+v", m)
		}
		if _, created := addInbound(t, s, "key-1", raw); created {
			t.Fatal("the erased message was stored again")
		}
		if _, err := s.InboundMessage(ctx, 9999); !app.IsNotFound(err) {
			t.Fatalf("missing message: %v", err)
		}
	})
}

func TestPurgeInboundRaw(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		old := time.Now().Add(-100 * 24 * time.Hour)
		open := &app.Request{Kind: app.KindUnknown, Channel: app.ChannelEmail, Status: app.RequestNeedsReview, ReceivedAt: old}
		closed := &app.Request{Kind: app.KindAccess, Channel: app.ChannelEmail, Status: app.RequestCompleted, ReceivedAt: old}
		for _, r := range []*app.Request{open, closed} {
			if err := s.CreateRequest(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name      string
			received  time.Time
			status    string
			request   *int64
			destroyed bool
		}{
			{"OldDoneNoRequest", old, app.InboundDone, nil, true},
			{"OldDoneClosedRequest", old, app.InboundDone, &closed.ID, true},
			{"OldDoneOpenRequest", old, app.InboundDone, &open.ID, false},
			{"OldNotProcessed", old, app.InboundReceived, nil, false},
			{"Recent", time.Now(), app.InboundDone, nil, false},
		}
		ids := map[string]int64{}
		for _, c := range cases {
			m := &app.InboundMessage{MessageKey: c.name, Source: app.InboundWebhook, ReceivedAt: c.received}
			if _, err := s.AddInbound(ctx, m, []byte("raw "+c.name)); err != nil {
				t.Fatal(err)
			}
			m.Status, m.RequestID = c.status, c.request
			if err := s.UpdateInbound(ctx, m); err != nil {
				t.Fatal(err)
			}
			ids[c.name] = m.ID
		}
		n, err := s.PurgeInboundRaw(ctx, time.Now().Add(-90*24*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("purged %d, %v; want 2", n, err)
		}
		for _, c := range cases {
			raw, _ := s.InboundRaw(ctx, ids[c.name])
			if (raw == nil) != c.destroyed {
				t.Errorf("%s: raw destroyed %v, want %v", c.name, raw == nil, c.destroyed)
			}
		}
	})
}

func TestInboundLease(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		steps := []struct {
			name  string
			owner string
			ttl   time.Duration
			want  bool
		}{
			{"FirstTakes", "a", time.Minute, true},
			{"OwnerRenews", "a", time.Minute, true},
			{"OtherWaits", "b", time.Minute, false},
			{"OwnerLetsItLapse", "a", -time.Second, true},
			{"OtherTakesOver", "b", time.Minute, true},
			{"FormerOwnerWaits", "a", time.Minute, false},
		}
		for _, st := range steps {
			got, err := s.AcquireLease(ctx, "imap:test", st.owner, st.ttl)
			if err != nil || got != st.want {
				t.Fatalf("%s: %v %v, want %v", st.name, got, err, st.want)
			}
		}
		if err := s.ReleaseLease(ctx, "imap:test", "a"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.AcquireLease(ctx, "imap:test", "a", time.Minute); ok {
			t.Fatal("release by a non-owner freed the lease")
		}
		if err := s.ReleaseLease(ctx, "imap:test", "b"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.AcquireLease(ctx, "imap:test", "a", time.Minute); !ok {
			t.Fatal("released lease not free")
		}
	})
}

func TestInboundLeaseTakeOver(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if h, err := s.LeaseHolder(ctx, "imap:dead"); err != nil || h != "" {
			t.Fatalf("holder of a free lease: %q %v", h, err)
		}
		if ok, err := s.TakeOverLease(ctx, "imap:dead", "a", "b", time.Minute); err != nil || ok {
			t.Fatalf("took over a lease nobody holds: %v %v", ok, err)
		}
		if ok, err := s.AcquireLease(ctx, "imap:dead", "a", time.Hour); err != nil || !ok {
			t.Fatalf("acquire: %v %v", ok, err)
		}
		if h, err := s.LeaseHolder(ctx, "imap:dead"); err != nil || h != "a" {
			t.Fatalf("holder %q %v, want a", h, err)
		}
		if ok, err := s.TakeOverLease(ctx, "imap:dead", "c", "b", time.Minute); err != nil || ok {
			t.Fatalf("took over from a process that does not hold the lease: %v %v", ok, err)
		}
		// The holder is dead: its unexpired lease passes to b at once.
		if ok, err := s.TakeOverLease(ctx, "imap:dead", "a", "b", time.Minute); err != nil || !ok {
			t.Fatalf("take over: %v %v", ok, err)
		}
		if ok, _ := s.AcquireLease(ctx, "imap:dead", "a", time.Minute); ok {
			t.Fatal("the former holder still renews the lease")
		}
		if ok, _ := s.AcquireLease(ctx, "imap:dead", "b", time.Minute); !ok {
			t.Fatal("the new holder cannot renew")
		}
	})
}
