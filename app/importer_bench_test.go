package app_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"newsletter/app"
	"newsletter/app/store"
	"newsletter/internal/testenv"
)

// openBenchStore returns a migrated store with a published policy.
func openBenchStore(b *testing.B, d store.Dialect) *store.Store {
	b.Helper()
	ctx := context.Background()
	st := testenv.Store(b, d)
	if err := (&app.Admins{Store: st}).EnsurePolicy(ctx, "v1", "en", "ru"); err != nil {
		b.Fatal(err)
	}
	return st
}

// benchFile is an import file of n rows with addresses unique to round.
func benchFile(round, n int) []byte {
	var buf bytes.Buffer
	buf.WriteString("name,email,phone,consent_at,consent_source,marketing\n")
	for i := 0; i < n; i++ {
		marketing := "no"
		if i%2 == 0 {
			marketing = "yes"
		}
		fmt.Fprintf(&buf, "Bench Person,r%d.p%d@example.com,+7 912 %03d-%02d-%02d,2025-03-01 10:00:00,signup form,%s\n",
			round, i, (i/10000)%1000, (i/100)%100, i%100, marketing)
	}
	return buf.Bytes()
}

// BenchmarkImport imports files of 20,000 new subscribers (each with one or
// two consents and their events) and reports rows per second:
//
//	go test -run '^$' -bench Import -benchtime 5x ./app/
func BenchmarkImport(b *testing.B) {
	const rows = 20000
	for _, d := range []store.Dialect{store.Postgres, store.SQLite} {
		b.Run(string(d), func(b *testing.B) {
			st := openBenchStore(b, d)
			signer, err := app.NewSigner([]byte("0123456789abcdef0123456789abcdef-bench"))
			if err != nil {
				b.Fatal(err)
			}
			im := &app.Importer{Store: st, Signer: signer, Operator: app.Operator{Country: "RU"}}
			files := make([][]byte, b.N)
			for i := range files {
				files[i] = benchFile(i, rows)
			}
			var elapsed time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rep, err := im.Import(context.Background(), bytes.NewReader(files[i]), app.ImportOptions{Actor: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Imported != rows {
					b.Fatalf("imported %d of %d", rep.Imported, rows)
				}
				elapsed += rep.Elapsed
			}
			b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}
