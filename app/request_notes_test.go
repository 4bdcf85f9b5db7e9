package app_test

import (
	"context"
	"testing"

	"newsletter/app"
)

// TestRequestNotesThread: the notes of a request are a thread, each with
// its author and time; completing a request adds to it and overwrites
// nothing, the note written at registration included.
func TestRequestNotesThread(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sub := e.activeSubscriber(t, "thread@example.com")
		anna := &app.Admin{ID: 7, Email: "anna.officer@example.com", Role: app.RolePrivacyOfficer}
		boris := &app.Admin{ID: 8, Email: "boris.officer@example.com", Role: app.RolePrivacyOfficer}
		r, err := e.svc.RegisterRequest(ctx, anna, app.RegisterInput{SubscriberID: sub.ID, Kind: app.KindAccess,
			Channel: app.ChannelAdmin, Note: "letter no. 12 of 1 December"})
		must(t, err)
		if _, err := e.svc.AddRequestNote(ctx, boris, r.ID, "  "); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("an empty note: %v", err)
		}
		if _, err := e.svc.AddRequestNote(ctx, boris, r.ID+1000, "lost"); !app.IsNotFound(err) {
			t.Fatalf("a note on no request: %v", err)
		}
		_, err = e.svc.AddRequestNote(ctx, boris, r.ID, "called back, identity confirmed")
		must(t, err)
		closed, err := e.svc.CloseRequest(ctx, anna, r.ID, false, "answer sent by post")
		must(t, err)
		if closed.Note != "letter no. 12 of 1 December" {
			t.Errorf("completing changed the registered note to %q", closed.Note)
		}
		notes, err := e.svc.RequestNotes(ctx, r.ID)
		must(t, err)
		want := []struct {
			author string
			kind   app.NoteKind
			body   string
		}{
			{anna.Email, app.NoteText, "letter no. 12 of 1 December"},
			{boris.Email, app.NoteText, "called back, identity confirmed"},
			{anna.Email, app.NoteCompleted, "answer sent by post"},
		}
		if len(notes) != len(want) {
			t.Fatalf("thread %+v", notes)
		}
		for i, w := range want {
			n := notes[i]
			if n.Author != w.author || n.Kind != w.kind || n.Body != w.body || n.RequestID != r.ID || !n.CreatedAt.Equal(e.now) {
				t.Errorf("note %d: %+v, want %+v", i, n, w)
			}
		}
	})
}
