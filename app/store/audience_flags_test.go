package store_test

import (
	"context"
	"testing"
	"time"

	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// TestAudienceFlagsMigrationBackfills: the migration that brings the copy
// of consents and suppression onto the subscriber's row fills it in for
// the people already there, exactly.
func TestAudienceFlagsMigrationBackfills(t *testing.T) {
	for _, d := range testenv.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s, db, exec := storeBefore(t, d, 24)
			exec(`INSERT INTO subscribers (id, email, email_hash, locale, status) VALUES (1, 'all@example.com', 'h1', 'en', 'active'),
				(2, 'some@example.com', 'h2', 'en', 'active'), (3, 'sup@example.com', 'h3', 'en', 'active'), (4, NULL, NULL, 'en', 'erased')`)
			exec(`INSERT INTO consents (subscriber_id, purpose, granted) VALUES (1, 'processing', true), (1, 'marketing', true),
				(1, 'cross_border', true), (2, 'processing', true), (2, 'marketing', false), (3, 'processing', true)`)
			exec(`INSERT INTO suppressions (email_hash, reason) VALUES ('h3', 'manual'), ('h9', 'complaint')`)
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			want := map[int64]string{1: "1110", 2: "1000", 3: "1001", 4: "0000"}
			rows, err := db.QueryContext(ctx, `SELECT id, consent_processing, consent_marketing, consent_cross_border, suppressed FROM subscribers`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var f [4]bool
				if err := rows.Scan(&id, &f[0], &f[1], &f[2], &f[3]); err != nil {
					t.Fatal(err)
				}
				got := ""
				for _, b := range f {
					got += map[bool]string{true: "1", false: "0"}[b]
				}
				if got != want[id] {
					t.Errorf("subscriber %d: flags %s, want %s", id, got, want[id])
				}
			}
			if ids, err := s.AudienceFlagsDrift(ctx); err != nil || len(ids) > 0 {
				t.Fatalf("drift %v %v", ids, err)
			}
		})
	}
}

// TestAudienceFlagsUnderConcurrentChanges: on PostgreSQL two transactions
// that change the two sides of a flag at once (a consent each of the same
// person; a suppression and the address hash it names, in either order)
// leave the flags true when both have committed.
func TestAudienceFlagsUnderConcurrentChanges(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, testenv.Postgres(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := s.DB()
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	exec(`INSERT INTO subscribers (id, email, email_hash, locale, status) VALUES (1, 'a@example.com', 'ha', 'en', 'active'),
		(2, 'b@example.com', 'hb', 'en', 'active'), (3, 'c@example.com', 'hc', 'en', 'active')`)
	exec(`INSERT INTO consents (subscriber_id, purpose, granted) VALUES (1, 'processing', true), (1, 'marketing', true)`)
	// first runs in a transaction left open while second runs in another
	// (which may wait for it, or not); then first commits.
	race := func(first, second string) {
		t.Helper()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, first); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := db.ExecContext(ctx, second)
			done <- err
		}()
		// Give the second statement the time to run ahead if nothing
		// holds it back; the outcome must not depend on it.
		select {
		case err := <-done:
			done <- err
		case <-time.After(300 * time.Millisecond):
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if ids, err := s.AudienceFlagsDrift(ctx); err != nil || len(ids) > 0 {
			t.Fatalf("after %q and %q at once: flags of %v differ (%v)", first, second, ids, err)
		}
	}
	race(`UPDATE consents SET granted = false WHERE subscriber_id = 1 AND purpose = 'processing'`,
		`DELETE FROM consents WHERE subscriber_id = 1 AND purpose = 'marketing'`)
	race(`UPDATE subscribers SET email_hash = 'hx' WHERE id = 2`, `INSERT INTO suppressions (email_hash, reason) VALUES ('hx', 'manual')`)
	race(`INSERT INTO suppressions (email_hash, reason) VALUES ('hy', 'manual')`, `UPDATE subscribers SET email_hash = 'hy' WHERE id = 3`)
	race(`DELETE FROM suppressions WHERE email_hash = 'hy'`, `UPDATE subscribers SET email_hash = 'hy', suppressed = true WHERE id = 1`)
}
