package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// What an erasure leaves in the database files beyond its rows: on SQLite,
// the old page images in the write-ahead log (freed content in the database
// file itself is zeroed: the connection runs with secure_delete); on
// PostgreSQL, the dead tuples of the updated and deleted rows until VACUUM
// (and, out of reach here, the WAL segments until they are recycled, and
// backups).

// erasedTables are the tables an erasure updates or deletes from.
var erasedTables = []string{"subscribers", "consent_events", "confirmations", "inbound_messages", "block_events",
	"requests", "deliveries", "consents", "newsletter_events"}

// EraseInboundFrom destroys the raw text and summary of every emailed
// message whose sender has the keyed hash senderHash, including those sent
// before the person subscribed (tied to no subscriber).
func (s *Store) EraseInboundFrom(ctx context.Context, senderHash string) error {
	if senderHash == "" {
		return nil
	}
	err := s.with(ctx).Exec(`UPDATE inbound_messages SET raw = NULL, summary = NULL, sender_hash = NULL WHERE sender_hash = ?`,
		senderHash).Error
	if err != nil {
		return fmt.Errorf("erase inbound mail of a sender: %w", err)
	}
	return nil
}

// CheckpointErasure moves what an erasure that just committed wrote out
// of the SQLite write-ahead log into the database file, where it replaced
// (and zeroed) the old content, and truncates the log, whose old page images
// still hold the erased data. It is best run right after the erasure; when
// another connection holds an old snapshot the log cannot be emptied and it
// reports an error (the sweep's Scrub tries again). On PostgreSQL it does
// nothing: the sweep vacuums.
func (s *Store) CheckpointErasure(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	if s.inTx {
		return fmt.Errorf("checkpoint: inside a transaction")
	}
	var busy, logFrames, checkpointed int
	row := s.db.WithContext(ctx).Raw(`PRAGMA wal_checkpoint(TRUNCATE)`).Row()
	if err := row.Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: the write-ahead log is in use (%d of %d frames copied)", checkpointed, logFrames)
	}
	return nil
}

// ScrubMark returns the id of the last destruction record whose residue
// Scrub removed.
func (s *Store) ScrubMark(ctx context.Context) (int64, error) {
	var mark []int64
	if err := s.with(ctx).Raw(`SELECT last_destruction_id FROM erasure_scrub WHERE id = 1`).Scan(&mark).Error; err != nil {
		return 0, fmt.Errorf("read scrub mark: %w", err)
	}
	if len(mark) == 0 {
		return 0, nil
	}
	return mark[0], nil
}

// Scrub removes what erasures left in the database files: on PostgreSQL it
// vacuums the tables erasures touch (VACUUM, not FULL: the space of dead
// tuples becomes free and reusable; it cannot run in a transaction), on
// SQLite it empties the write-ahead log. Then it records upTo (a
// destruction record id) as scrubbed.
func (s *Store) Scrub(ctx context.Context, upTo int64, at time.Time) error {
	if s.inTx {
		return fmt.Errorf("scrub: inside a transaction")
	}
	switch s.dialect {
	case Postgres:
		if err := s.with(ctx).Exec(`VACUUM ` + strings.Join(erasedTables, ", ")).Error; err != nil {
			return fmt.Errorf("scrub: vacuum: %w", err)
		}
	default:
		if err := s.CheckpointErasure(ctx); err != nil {
			return fmt.Errorf("scrub: %w", err)
		}
	}
	err := s.with(ctx).Exec(`UPDATE erasure_scrub SET last_destruction_id = ?, scrubbed_at = ? WHERE id = 1 AND last_destruction_id < ?`,
		upTo, at.UTC(), upTo).Error
	if err != nil {
		return fmt.Errorf("record scrub mark: %w", err)
	}
	return nil
}
