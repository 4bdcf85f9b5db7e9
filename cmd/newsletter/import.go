package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"newsletter/app"
	"newsletter/app/config"
	"newsletter/app/store"
	"newsletter/templates"
)

const importUsage = `Usage: newsletter import [--dry-run] [--actor NAME] [--newsletters IDS] FILE.csv

Imports subscribers with their recorded consent. The header row names the
columns: email, consent_at, consent_source (required), name, phone,
marketing (yes/no), cross_border (yes/no), ip, user_agent, locale,
policy_version (the policy the person consented under; without it the
consent is recorded under version "unknown").

Rows without consent evidence or with invalid data are rejected with their
line number; suppressed addresses are skipped; addresses already on file are
left unchanged. The file is imported in one transaction: on a fatal error
nothing is imported, and importing the same file again adds nothing twice.
--dry-run reports what an import would do and writes nothing.
--newsletters 3,5 makes the people members of those newsletters (each one
their consents allow: marketing ones need "marketing" yes); without it they
join the default newsletter of each purpose they consented to.
`

// importCmd runs `newsletter import`.
func importCmd(ctx context.Context, cfg *config.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dryRun := fs.Bool("dry-run", false, "check the file and report, write nothing")
	actor := fs.String("actor", "cli", "who runs the import, for the audit log (an id, not a name)")
	batch := fs.Int("batch", app.DefaultImportBatch, "rows per statement")
	newsletterList := fs.String("newsletters", "", "comma-separated ids of the newsletters the people join")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, importUsage)
			return nil
		}
		return usageError{fmt.Sprintf("import: %v\n\n%s", err, importUsage)}
	}
	if fs.NArg() != 1 {
		return usageError{"import: want one file\n\n" + importUsage}
	}
	newsletters, err := parseIDs(*newsletterList)
	if err != nil {
		return usageError{fmt.Sprintf("import: --newsletters: %v\n\n%s", err, importUsage)}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	im, st, err := openImporter(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	bar := newProgressBar(stdout, size)
	rep, err := im.Import(ctx, f, app.ImportOptions{Actor: *actor, DryRun: *dryRun, BatchSize: *batch, Progress: bar.update,
		Newsletters: newsletters})
	bar.done()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("import interrupted; nothing was imported")
		}
		return err
	}
	printImportReport(stdout, stderr, rep)
	return nil
}

// parseIDs reads a comma-separated list of ids ("" is none).
func parseIDs(list string) ([]int64, error) {
	var ids []int64
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%q is not an id", f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// openImporter opens and migrates the database and makes an importer with
// the product's signing key (the suppression list's hashes depend on it)
// and its current privacy policy.
func openImporter(ctx context.Context, cfg *config.Config) (*app.Importer, *store.Store, error) {
	if cfg.Embedded() {
		if err := ensureDataDir(cfg); err != nil {
			return nil, nil, err
		}
	}
	if err := cfg.EnsureSecret(); err != nil {
		return nil, nil, err
	}
	signer, err := app.NewSigner(cfg.Secrets...)
	if err != nil {
		return nil, nil, &config.Error{Var: "NEWSLETTER_SECRET", Reason: err.Error()}
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	en, ru := templates.DefaultPolicy()
	if err := (&app.Admins{Store: st}).EnsurePolicy(ctx, defaultPolicyVersion, en, ru); err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("publish default policy: %w", err)
	}
	im := &app.Importer{Store: st, Signer: signer, Operator: app.Operator{Country: cfg.OperatorCountry, SMTPCountry: cfg.SMTPCountry}}
	return im, st, nil
}

// printImportReport writes the summary to stdout and the rejected lines
// (line number and reason, never content) to stderr.
func printImportReport(stdout, stderr io.Writer, rep *app.ImportReport) {
	for _, r := range rep.Rejections {
		fmt.Fprintf(stderr, "line %d: %s\n", r.Line, r.Reason)
	}
	if more := rep.Rejected - len(rep.Rejections); more > 0 {
		fmt.Fprintf(stderr, "... and %d more rejected rows\n", more)
	}
	title := fmt.Sprintf("import %d", rep.ImportID)
	if rep.DryRun {
		title = "dry run (nothing written)"
	}
	fmt.Fprintf(stdout, "%s: %d rows in %s (%.0f rows/s)\n", title, rep.Rows, rep.Elapsed.Round(time.Millisecond), rep.RowsPerSecond())
	fmt.Fprintf(stdout, "  imported:            %d\n", rep.Imported)
	fmt.Fprintf(stdout, "  already on file:     %d (left unchanged)\n", rep.Existing)
	fmt.Fprintf(stdout, "  suppressed:          %d (skipped)", rep.Suppressed)
	if len(rep.SuppressedBy) > 0 {
		var parts []string
		for _, reason := range []string{app.SuppressErased, app.SuppressHardBounce, app.SuppressComplaint, app.SuppressManual} {
			if n := rep.SuppressedBy[reason]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", reason, n))
			}
		}
		fmt.Fprintf(stdout, " [%s]", strings.Join(parts, ", "))
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  rejected:            %d\n", rep.Rejected)
	if rep.WithoutCrossBorder > 0 {
		fmt.Fprintf(stdout, "  note: %d imported people lack the cross-border consent and get no mail through the configured SMTP_COUNTRY\n",
			rep.WithoutCrossBorder)
	}
	if len(rep.IgnoredColumns) > 0 {
		fmt.Fprintf(stdout, "  ignored columns:     %s\n", strings.Join(rep.IgnoredColumns, ", "))
	}
}

// progressBar draws a one-line progress bar when out is a terminal, and
// nothing otherwise.
type progressBar struct {
	out   io.Writer
	total int64
	on    bool
	start time.Time
	last  time.Time
	drawn bool
}

func newProgressBar(out io.Writer, total int64) *progressBar {
	f, ok := out.(*os.File)
	on := ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
	return &progressBar{out: out, total: total, on: on, start: time.Now()}
}

func (b *progressBar) update(p app.ImportProgress) {
	if !b.on || time.Since(b.last) < 100*time.Millisecond {
		return
	}
	b.last = time.Now()
	const width = 30
	frac := 0.0
	if b.total > 0 {
		frac = min(float64(p.Bytes)/float64(b.total), 1)
	}
	filled := int(frac * width)
	rate := float64(p.Rows) / max(time.Since(b.start).Seconds(), 1e-3)
	fmt.Fprintf(b.out, "\r[%s%s] %3.0f%%  %d rows  %.0f rows/s ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		frac*100, p.Rows, rate)
	b.drawn = true
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprint(b.out, "\r\033[K")
	}
}

// benchImport runs `newsletter bench import [--rows N]`: it writes a file
// of N generated rows and imports it, committed, into a database of the
// bench's own: on PostgreSQL (DATABASE_URL or --database-url) a schema
// that is dropped at the end, otherwise an SQLite file in a temporary
// directory. Every run starts from the same empty schema, so runs compare;
// the configured database is left as it was.
func benchImport(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rows := fs.Int("rows", 100000, "rows to generate")
	batch := fs.Int("batch", app.DefaultImportBatch, "rows per statement")
	databaseURL := fs.String("database-url", cfg.DatabaseURL, "PostgreSQL URL (default: DATABASE_URL; empty: SQLite)")
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("bench import: %v\n%s", err, benchUsage)}
	}
	if *rows < 1 || *batch < 1 {
		return usageError{"bench import: --rows and --batch must be at least 1\n" + benchUsage}
	}
	dir, err := os.MkdirTemp("", "newsletter-bench")
	if err != nil {
		return fmt.Errorf("bench import: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "subscribers.csv")
	if err := writeBenchCSV(path, *rows); err != nil {
		return err
	}
	var st *store.Store
	if *databaseURL != "" {
		db, err := openBenchDB(ctx, *databaseURL, false)
		if err != nil {
			return err
		}
		defer db.close()
		st = db.st
	} else {
		if st, err = store.Open(ctx, "", filepath.Join(dir, "bench.db")); err != nil {
			return err
		}
		defer st.Close()
		if _, err := st.Migrate(ctx); err != nil {
			return err
		}
	}
	en, ru := templates.DefaultPolicy()
	if err := (&app.Admins{Store: st}).EnsurePolicy(ctx, defaultPolicyVersion, en, ru); err != nil {
		return fmt.Errorf("bench import: publish policy: %w", err)
	}
	im := &app.Importer{Store: st, Signer: benchSigner(), Operator: app.Operator{Country: "RU"}}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bench import: %w", err)
	}
	defer f.Close()
	fmt.Fprintf(stdout, "bench import: %s\n", machine())
	rep, err := im.Import(ctx, f, app.ImportOptions{Actor: "bench", BatchSize: *batch})
	if err != nil {
		return err
	}
	if rep.Imported != *rows {
		return fmt.Errorf("bench import: imported %d of %d rows (%d rejected)", rep.Imported, *rows, rep.Rejected)
	}
	fmt.Fprintf(stdout, "bench import (%s): %d rows in batches of %d, committed in %s: %.0f rows/s\n",
		st.Dialect(), rep.Rows, *batch, rep.Elapsed.Round(time.Millisecond), rep.RowsPerSecond())
	return nil
}

// writeBenchCSV writes n generated rows of the import format.
func writeBenchCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench import: %w", err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "name,email,phone,consent_at,consent_source,marketing")
	for i := 0; i < n; i++ {
		marketing := "no"
		if i%2 == 0 {
			marketing = "yes"
		}
		fmt.Fprintf(w, "Bench Person,bench%d@example.com,+7 912 %03d-%02d-%02d,2025-03-01 10:%02d:%02d,signup form,%s\n",
			i, (i/10000)%1000, (i/100)%100, i%100, (i/60)%60, i%60, marketing)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("bench import: %w", err)
	}
	return f.Close()
}
