package app

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"time"

	"golang.org/x/sync/errgroup"
)

// ImportRow is one valid row of an import file, normalized.
type ImportRow struct {
	Line        int
	Email       string
	EmailHash   string
	Name        string
	Phone       string
	Locale      string
	ConsentAt   time.Time
	Source      string
	Marketing   bool
	CrossBorder bool
	IP          string
	UserAgent   string
	// PolicyVersion is the policy the person consented under, from the
	// file; PolicyVersionUnknown when the file does not say.
	PolicyVersion string
}

// ImportRun is the record of one import: who ran it, on what file, and the
// counts. It holds no personal data.
type ImportRun struct {
	ID            int64
	Actor         string
	FileSHA256    string
	PolicyVersion string
	RowsRead      int
	Imported      int
	Existing      int
	Suppressed    int
	Rejected      int
	StartedAt     time.Time
	FinishedAt    time.Time
	// Newsletters are the newsletters the imported people join (those
	// their consents allow); none: the default newsletter of each purpose
	// they consented to.
	Newsletters []int64
}

// ImportStore writes an import.
type ImportStore interface {
	// Import runs fn with a writer bound to one transaction: what fn wrote
	// is committed when it returns nil, and nothing when it fails.
	Import(ctx context.Context, fn func(w ImportWriter) error) error
}

// ImportWriter is the write side of an import, inside its transaction.
type ImportWriter interface {
	// CurrentPolicyVersion names the policy version in force.
	CurrentPolicyVersion(ctx context.Context) (string, error)
	// CreateImport records the start of a run and sets its ID.
	CreateImport(ctx context.Context, run *ImportRun) error
	// FinishImport records a run's counts.
	FinishImport(ctx context.Context, run *ImportRun) error
	// NewsletterPurposes returns the purpose of each of the newsletters
	// ids that exists.
	NewsletterPurposes(ctx context.Context, ids []int64) (map[int64]CampaignPurpose, error)
	// Suppressed returns, for those of hashes on the suppression list, the
	// reason.
	Suppressed(ctx context.Context, hashes []string) (map[string]string, error)
	// InsertSubscribers inserts the rows as active subscribers with their
	// consents and consent events (channel import, run's policy version
	// and consentText); a row whose address is on file is left alone. It
	// reports for each row whether it was inserted.
	InsertSubscribers(ctx context.Context, run *ImportRun, consentText string, rows []ImportRow) ([]bool, error)
	AddAudit(ctx context.Context, e *AuditEntry) error
}

// Importer loads subscribers with their recorded consent from CSV files
// (`newsletter import FILE.csv`).
//
// The file has a header row naming its columns (any order, any case;
// unknown columns are ignored and reported). Columns:
//
//	email                        required
//	consent_at (consent_time)    required: when the person consented
//	consent_source (source)      required: where (the form, the event, the shop)
//	name (full_name)             optional: the full name
//	phone                        optional
//	marketing                    optional: yes/no (also true/false, 1/0, да/нет); empty is no
//	cross_border                 optional: yes/no, the separate cross-border consent
//	ip, user_agent               optional: more evidence of the consent
//	locale (language)            optional: en or ru
//	policy_version (policy)      optional: the policy version the person consented under;
//	                             without it the consent is recorded under version "unknown"
//
// The separator is a comma, a semicolon or a tab, whichever the header uses;
// a UTF-8 byte order mark is skipped. consent_at is RFC 3339
// ("2024-03-01T10:00:00+03:00"), "2024-03-01 10:00:00", "2024-03-01",
// "01.03.2024 10:00" or "01.03.2024"; a time without a zone is UTC.
//
// Every row is judged on its own:
//
//   - a row without consent evidence (no consent time or no source), or with
//     an invalid address, name, phone, yes/no value or time, is rejected
//     with its line number and the reason (never its content);
//   - a row whose address is on the suppression list (erased, bounced,
//     complained, suppressed by hand) is skipped and counted: an import
//     never lifts a suppression;
//   - a row whose address is on file already is left alone and counted as
//     existing: the person's own later choices (an opt-out, corrected data)
//     must not be overwritten by an older list;
//   - a second row with the same address is rejected as a duplicate;
//   - any other row becomes an active subscriber whose consents
//     (processing, and marketing and cross-border when "yes") are recorded
//     as consent events with channel "import", the time and source from the
//     file (source in form_id), the policy version from the file (or
//     "unknown", never the version in force today), and the import run in
//     the consent text.
//
// All or nothing: the whole file is imported in one database transaction.
// A fatal error (unreadable file, broken CSV quoting, a database failure,
// an interrupt) rolls everything back, so the file can simply be imported
// again; a repeated import of the same file adds nothing (its addresses
// exist). Rejected rows are not fatal.
type Importer struct {
	Store  ImportStore
	Signer *Signer
	// Operator gives the default region of phone numbers and the default
	// language.
	Operator Operator
	// Now is the clock; nil is the system clock.
	Now Clock
}

// ImportOptions tune one import.
type ImportOptions struct {
	// Actor names who runs the import in the audit log (ids only).
	Actor string
	// DryRun checks the whole file against the database and reports
	// what an import would do, and writes nothing.
	DryRun bool
	// BatchSize is how many rows are written per statement; 0 means
	// DefaultImportBatch.
	BatchSize int
	// Progress, when set, is called after each batch.
	Progress func(ImportProgress)
	// Newsletters are the newsletters the imported people join, each one
	// its purpose's consent allows (marketing ones need the advertising
	// consent); none: the default newsletter of each purpose they
	// consented to. An id that names no newsletter fails the import.
	Newsletters []int64
}

// DefaultImportBatch is the rows an import writes per statement when
// ImportOptions.BatchSize is not set. On PostgreSQL an import in batches
// of 1,000 rows took a sixth longer than in batches of 5,000, and past
// 5,000 it grew slower again while the batches in flight took more memory.
const DefaultImportBatch = 5000

// ImportProgress is how far an import has come.
type ImportProgress struct {
	Bytes int64 // bytes of the file read
	Rows  int   // data rows read
}

// Rejection is one rejected row: its line number in the file and why.
type Rejection struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// MaxRejectionsReported bounds the rejections an ImportReport lists (all
// are counted).
const MaxRejectionsReported = 1000

// ImportReport is what an import did.
type ImportReport struct {
	ImportID int64 `json:"import_id"`
	DryRun   bool  `json:"dry_run"`
	Rows     int   `json:"rows"`
	Imported int   `json:"imported"`
	Existing int   `json:"existing"`
	// Suppressed counts rows skipped because their address is on the
	// suppression list; SuppressedBy splits them by reason.
	Suppressed   int            `json:"suppressed"`
	SuppressedBy map[string]int `json:"suppressed_by"`
	Rejected     int            `json:"rejected"`
	Rejections   []Rejection    `json:"rejections"`
	// WithoutCrossBorder counts imported people without the cross-border
	// consent while the mail infrastructure requires it: they get no mail.
	WithoutCrossBorder int           `json:"without_cross_border"`
	IgnoredColumns     []string      `json:"ignored_columns"`
	FileSHA256         string        `json:"file_sha256"`
	Elapsed            time.Duration `json:"elapsed_ns"`
}

// RowsPerSecond is the import's throughput.
func (r *ImportReport) RowsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Rows) / r.Elapsed.Seconds()
}

// Import columns.
const (
	colName = iota
	colEmail
	colPhone
	colConsentAt
	colSource
	colMarketing
	colCrossBorder
	colIP
	colUserAgent
	colLocale
	colPolicyVersion
	numImportCols
)

// Limits of imported values.
const (
	maxSourceRunes    = 200
	maxUserAgentBytes = 512
)

// errDryRun rolls back a dry run.
var errDryRun = errors.New("dry run")

// Import reads a CSV file from r and imports its rows in one transaction
// (see Importer for the format and the rules). Rejected,
// suppressed and existing rows are counted in the report; an error means
// nothing was imported.
//
// The file is streamed: one goroutine reads records in batches, workers
// validate and normalize the batches in parallel, and the database work
// takes them in file order, so memory stays bounded by a few batches
// (plus an 8-byte fingerprint per address, to find duplicates).
func (im *Importer) Import(ctx context.Context, r io.Reader, opt ImportOptions) (*ImportReport, error) {
	start := time.Now()
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultImportBatch
	}
	if opt.Actor == "" {
		opt.Actor = "cli"
	}
	counter := &countingReader{r: r, h: sha256.New()}
	p, err := newImportParser(bufio.NewReaderSize(counter, 256<<10), im)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{DryRun: opt.DryRun, SuppressedBy: map[string]int{}, Rejections: []Rejection{},
		IgnoredColumns: p.ignored}
	run := &ImportRun{Actor: opt.Actor, StartedAt: im.Now.Now()}
	err = im.Store.Import(ctx, func(w ImportWriter) error {
		var err error
		if run.PolicyVersion, err = w.CurrentPolicyVersion(ctx); err != nil {
			return err
		}
		if err := checkNewsletters(ctx, w, opt.Newsletters); err != nil {
			return err
		}
		run.Newsletters = opt.Newsletters
		if err := w.CreateImport(ctx, run); err != nil {
			return err
		}
		consentText := fmt.Sprintf("Consent recorded by the operator outside this system, imported (import %d).", run.ID)
		g, gctx := errgroup.WithContext(ctx)
		ordered := p.stream(gctx, g, opt.BatchSize)
		g.Go(func() error {
			seen := map[uint64]int32{}
			rows := make([]ImportRow, 0, opt.BatchSize)
			for b := range ordered {
				select {
				case <-b.done:
				case <-gctx.Done():
					return gctx.Err()
				}
				rows = rows[:0]
				for i := range b.rows {
					row := &b.rows[i]
					rep.Rows++
					if row.reason == "" {
						row.reason = dedupe(seen, &row.ImportRow)
					}
					if row.reason != "" {
						rep.reject(Rejection{Line: row.Line, Reason: row.reason})
						continue
					}
					rows = append(rows, row.ImportRow)
				}
				if len(rows) > 0 {
					if err := im.writeBatch(gctx, w, run, consentText, rows, rep); err != nil {
						return err
					}
				}
				if opt.Progress != nil {
					opt.Progress(ImportProgress{Bytes: counter.n.Load(), Rows: rep.Rows})
				}
			}
			return nil
		})
		if err := g.Wait(); err != nil {
			return err
		}
		rep.FileSHA256 = hex.EncodeToString(counter.h.Sum(nil))
		run.FileSHA256, run.FinishedAt = rep.FileSHA256, im.Now.Now()
		run.RowsRead, run.Imported, run.Existing, run.Suppressed, run.Rejected = rep.Rows, rep.Imported, rep.Existing, rep.Suppressed, rep.Rejected
		if err := w.FinishImport(ctx, run); err != nil {
			return err
		}
		if err := audit(ctx, w, Actor(opt.Actor), AuditSubscribersImported, "import", run.ID, fmt.Sprintf("rows %d, imported %d, existing %d, suppressed %d, rejected %d",
			rep.Rows, rep.Imported, rep.Existing, rep.Suppressed, rep.Rejected)); err != nil {
			return err
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	})
	rep.Elapsed = time.Since(start)
	switch {
	case errors.Is(err, errDryRun):
		return rep, nil
	case err != nil:
		return nil, err
	}
	rep.ImportID = run.ID
	return rep, nil
}

// dedupe remembers the address of row and returns the rejection of a
// second row with the same address. Addresses are kept as 64-bit
// fingerprints (a false duplicate needs a collision: about 1 in 10^9 at a
// million rows).
func dedupe(seen map[uint64]int32, row *ImportRow) string {
	h := fnv.New64a()
	h.Write([]byte(row.Email))
	key := h.Sum64()
	if first, dup := seen[key]; dup {
		return fmt.Sprintf("duplicate of line %d", first)
	}
	seen[key] = int32(row.Line)
	return ""
}

func (rep *ImportReport) reject(r Rejection) {
	rep.Rejected++
	if len(rep.Rejections) < MaxRejectionsReported {
		rep.Rejections = append(rep.Rejections, r)
	}
}

// writeBatch skips the suppressed rows of a batch and inserts the rest.
func (im *Importer) writeBatch(ctx context.Context, w ImportWriter, run *ImportRun, consentText string, batch []ImportRow, rep *ImportReport) error {
	hashes := make([]string, len(batch))
	for i := range batch {
		hashes[i] = batch[i].EmailHash
	}
	suppressed, err := w.Suppressed(ctx, hashes)
	if err != nil {
		return err
	}
	rows := batch
	if len(suppressed) > 0 {
		rows = make([]ImportRow, 0, len(batch))
		for _, r := range batch {
			if reason, ok := suppressed[r.EmailHash]; ok {
				rep.Suppressed++
				rep.SuppressedBy[reason]++
				continue
			}
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	inserted, err := w.InsertSubscribers(ctx, run, consentText, rows)
	if err != nil {
		return err
	}
	crossBorder := im.Operator.CrossBorderRequired()
	for i, ok := range inserted {
		if !ok {
			rep.Existing++
			continue
		}
		rep.Imported++
		if crossBorder && !rows[i].CrossBorder {
			rep.WithoutCrossBorder++
		}
	}
	return nil
}

// checkNewsletters fails when an id of ids names no newsletter.
func checkNewsletters(ctx context.Context, w ImportWriter, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	purposes, err := w.NewsletterPurposes(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := purposes[id]; !ok {
			return Errorf(EINVALID, "newsletter %d does not exist; nothing was imported", id)
		}
	}
	return nil
}
