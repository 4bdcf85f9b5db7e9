package store

import (
	"context"
	"fmt"
	"time"

	"newsletter/app"
)

func init() {
	// An erasure destroys what the notes of the person's requests say
	// (they may name or quote them); who wrote each, and when, stays.
	eraseExtra = append(eraseExtra,
		`UPDATE request_notes SET body = '' WHERE request_id IN (SELECT id FROM requests WHERE subscriber_id = ?)`)
}

type requestNoteRow struct {
	ID        int64 `gorm:"primaryKey"`
	RequestID int64
	Author    string
	Kind      string
	Body      string
	CreatedAt time.Time
}

func (requestNoteRow) TableName() string { return "request_notes" }

// AddRequestNote appends a note to a request's thread; notes are never
// changed or removed (an erasure only blanks what they say).
func (s *Store) AddRequestNote(ctx context.Context, n *app.RequestNote) error {
	row := requestNoteRow{RequestID: n.RequestID, Author: n.Author, Kind: string(n.Kind), Body: n.Body, CreatedAt: n.CreatedAt.UTC()}
	if err := s.with(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("add request note: %w", err)
	}
	n.ID = row.ID
	return nil
}

// RequestNotes returns the thread of a request, oldest first.
func (s *Store) RequestNotes(ctx context.Context, requestID int64) ([]app.RequestNote, error) {
	var rows []requestNoteRow
	if err := s.with(ctx).Where("request_id = ?", requestID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("request notes: %w", err)
	}
	out := make([]app.RequestNote, len(rows))
	for i, r := range rows {
		out[i] = app.RequestNote{ID: r.ID, RequestID: r.RequestID, Author: r.Author, Kind: app.NoteKind(r.Kind), Body: r.Body,
			CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}
