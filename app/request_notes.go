package app

import (
	"context"
	"fmt"
	"time"
)

// NoteKind is what a note of a request's thread records.
type NoteKind string

const (
	// NoteText is a note a staff member wrote.
	NoteText NoteKind = "note"
	// NoteCompleted and NoteRejected close the request, with what was said.
	NoteCompleted NoteKind = "completed"
	NoteRejected  NoteKind = "rejected"
	// NoteExtended records the reason of an extension.
	NoteExtended NoteKind = "extended"
	// NoteAnswer is a free-text answer mailed to the person.
	NoteAnswer NoteKind = "answer"
)

// AuditRequestNote is the audit action of a note added to a request.
const AuditRequestNote = "request_note"

// RequestNote is one entry of a request's thread: append-only, with its
// author and time. Write it without personal data: it stays in the
// register after an erasure.
type RequestNote struct {
	ID        int64 `json:"id"`
	RequestID int64 `json:"request_id"`
	// Author is the staff member's address when the note was written, or
	// "system".
	Author    string    `json:"author"`
	Kind      NoteKind  `json:"kind"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// RequestNoteStore keeps the threads of requests.
type RequestNoteStore interface {
	AddRequestNote(ctx context.Context, n *RequestNote) error
	RequestNotes(ctx context.Context, requestID int64) ([]RequestNote, error)
}

func noteStore(st Store) (RequestNoteStore, error) {
	ns, ok := st.(RequestNoteStore)
	if !ok {
		return nil, fmt.Errorf("request notes: the store does not keep them")
	}
	return ns, nil
}

// StaffName names a staff member in records people read: their address,
// or "system" for what the product did by itself.
func StaffName(a *Admin) string {
	if a == nil || a.Email == "" {
		return "system"
	}
	return a.Email
}

// addNote appends a note to request id's thread in tx; an empty body adds
// nothing.
func (s *Register) addNote(ctx context.Context, tx Store, actor *Admin, id int64, kind NoteKind, body string) error {
	if body == "" {
		return nil
	}
	ns, err := noteStore(tx)
	if err != nil {
		return err
	}
	return ns.AddRequestNote(ctx, &RequestNote{RequestID: id, Author: StaffName(actor), Kind: kind, Body: body, CreatedAt: s.Now.Now()})
}

// AddRequestNote appends a staff member's note to a request's thread.
func (s *Register) AddRequestNote(ctx context.Context, actor *Admin, id int64, body string) (*RequestNote, error) {
	body, err := cleanReason("note", body, true)
	if err != nil {
		return nil, err
	}
	var out []RequestNote
	err = s.Store.Tx(ctx, func(tx Store) error {
		if _, err := tx.Requests().Request(ctx, id); err != nil {
			return err
		}
		if err := s.addNote(ctx, tx, actor, id, NoteText, body); err != nil {
			return err
		}
		if err := audit(ctx, tx.Audit(), AdminActor(actor), AuditRequestNote, "request", id, ""); err != nil {
			return err
		}
		ns, err := noteStore(tx)
		if err != nil {
			return err
		}
		out, err = ns.RequestNotes(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out[len(out)-1], nil
}

// RequestNotes returns the thread of request id, oldest first.
func (s *Register) RequestNotes(ctx context.Context, id int64) ([]RequestNote, error) {
	if _, err := s.Store.Requests().Request(ctx, id); err != nil {
		return nil, err
	}
	ns, err := noteStore(s.Store)
	if err != nil {
		return nil, err
	}
	return ns.RequestNotes(ctx, id)
}
