package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
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

var importColNames = [numImportCols]string{"name", "email", "phone", "consent_at", "consent_source", "marketing",
	"cross_border", "ip", "user_agent", "locale", "policy_version"}

// importColumnAliases maps a normalized header to its column.
var importColumnAliases = map[string]int{
	"name": colName, "full_name": colName, "fullname": colName, "fio": colName, "фио": colName,
	"email": colEmail, "e_mail": colEmail, "email_address": colEmail, "mail": colEmail,
	"phone": colPhone, "telephone": colPhone, "phone_number": colPhone, "tel": colPhone,
	"consent_at": colConsentAt, "consent_time": colConsentAt, "consented_at": colConsentAt, "consent_date": colConsentAt,
	"consent_source": colSource, "source": colSource,
	"marketing": colMarketing, "consent_marketing": colMarketing, "marketing_consent": colMarketing,
	"cross_border": colCrossBorder, "consent_cross_border": colCrossBorder,
	"ip": colIP, "consent_ip": colIP, "ip_address": colIP,
	"user_agent": colUserAgent, "consent_user_agent": colUserAgent,
	"locale": colLocale, "language": colLocale, "lang": colLocale,
	"policy_version": colPolicyVersion, "policy": colPolicyVersion, "consent_policy_version": colPolicyVersion,
}

// Limits of imported values.
const (
	maxSourceRunes    = 200
	maxUserAgentBytes = 512
)

// errDryRun rolls back a dry run.
var errDryRun = errors.New("dry run")

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now().UTC()
	}
	return time.Now().UTC()
}

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
	run := &ImportRun{Actor: opt.Actor, StartedAt: im.now()}
	err = im.Store.Import(ctx, func(w ImportWriter) error {
		var err error
		if run.PolicyVersion, err = w.CurrentPolicyVersion(ctx); err != nil {
			return err
		}
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
		run.FileSHA256, run.FinishedAt = rep.FileSHA256, im.now()
		run.RowsRead, run.Imported, run.Existing, run.Suppressed, run.Rejected = rep.Rows, rep.Imported, rep.Existing, rep.Suppressed, rep.Rejected
		if err := w.FinishImport(ctx, run); err != nil {
			return err
		}
		if err := w.AddAudit(ctx, &AuditEntry{Actor: opt.Actor, Action: AuditSubscribersImported, SubjectType: "import", SubjectID: run.ID,
			Details: fmt.Sprintf("rows %d, imported %d, existing %d, suppressed %d, rejected %d",
				rep.Rows, rep.Imported, rep.Existing, rep.Suppressed, rep.Rejected)}); err != nil {
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

// countingReader counts and hashes what is read through it; the count may
// be read from another goroutine.
type countingReader struct {
	r io.Reader
	h hash.Hash
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	c.h.Write(p[:n])
	return n, err
}

// importParser turns the CSV records of an import file into rows.
type importParser struct {
	im      *Importer
	csv     *csv.Reader
	cols    [numImportCols]int // record index of each column, -1 if absent
	width   int
	ignored []string
	now     time.Time
	locale  string
	region  string
}

func newImportParser(br *bufio.Reader, im *Importer) (*importParser, error) {
	// A byte order mark, as spreadsheet programs write, is not data.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	comma, err := sniffSeparator(br)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(br)
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, Errorf(EINVALID, "the file is empty: it needs a header row")
	}
	if err != nil {
		return nil, Errorf(EINVALID, "the header row is not valid CSV: %v", err)
	}
	p := &importParser{im: im, csv: r, width: len(header), now: im.now(),
		region: normCountry(im.Operator.Country), locale: LocaleEN}
	if p.region == "" {
		p.region = DefaultOperatorCountry
	}
	if p.region == "RU" {
		p.locale = LocaleRU
	}
	for i := range p.cols {
		p.cols[i] = -1
	}
	for i, h := range header {
		key := normalizeHeader(h)
		col, ok := importColumnAliases[key]
		if !ok {
			if key != "" {
				p.ignored = append(p.ignored, strings.TrimSpace(h))
			}
			continue
		}
		if p.cols[col] >= 0 {
			return nil, Errorf(EINVALID, "the header names the %s column twice", importColNames[col])
		}
		p.cols[col] = i
	}
	var missing []string
	for _, c := range []int{colEmail, colConsentAt, colSource} {
		if p.cols[c] < 0 {
			missing = append(missing, importColNames[c])
		}
	}
	if len(missing) > 0 {
		return nil, Errorf(EINVALID, "the header lacks the required column(s) %s (found: %s)", strings.Join(missing, ", "),
			strings.Join(header, ", "))
	}
	return p, nil
}

// sniffSeparator picks the separator of the header line: comma, semicolon
// or tab, whichever occurs most.
func sniffSeparator(br *bufio.Reader) (rune, error) {
	b, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, fmt.Errorf("read import file: %w", err)
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	best, n := ',', bytes.Count(b, []byte{','})
	for _, c := range []rune{';', '\t'} {
		if m := bytes.Count(b, []byte(string(c))); m > n {
			best, n = c, m
		}
	}
	return best, nil
}

func normalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '.' {
			return '_'
		}
		return r
	}, h)
}

// parsedRow is a row of the file after validation: a row to import, or
// the reason it is rejected.
type parsedRow struct {
	ImportRow
	reason string
}

// importBatch is a batch of records on its way through the pipeline.
type importBatch struct {
	recs  [][]string
	lines []int
	rows  []parsedRow
	done  chan struct{} // closed when rows are ready
}

// stream starts, in g, the reader and the validating workers, and returns
// the batches in file order. A broken file fails g.
func (p *importParser) stream(ctx context.Context, g *errgroup.Group, size int) <-chan *importBatch {
	ordered := make(chan *importBatch, 4)
	work := make(chan *importBatch, 4)
	workers := min(max(runtime.GOMAXPROCS(0), 1), 4)
	for i := 0; i < workers; i++ {
		g.Go(func() error {
			for b := range work {
				b.rows = make([]parsedRow, len(b.recs))
				for j, rec := range b.recs {
					b.rows[j].ImportRow, b.rows[j].reason = p.row(rec, b.lines[j])
				}
				close(b.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(ordered)
		defer close(work)
		b := &importBatch{done: make(chan struct{})}
		send := func() error {
			for _, ch := range []chan *importBatch{ordered, work} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			b = &importBatch{done: make(chan struct{})}
			return nil
		}
		for {
			rec, err := p.csv.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					return Errorf(EINVALID, "line %d: broken CSV (%v); nothing was imported", pe.Line, pe.Err)
				}
				return fmt.Errorf("read import file: %w", err)
			}
			if blankRecord(rec) {
				continue // spreadsheet programs leave rows of empty cells
			}
			line, _ := p.csv.FieldPos(0)
			b.recs = append(b.recs, slices.Clone(rec))
			b.lines = append(b.lines, line)
			if len(b.recs) == size {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if len(b.recs) > 0 {
			return send()
		}
		return nil
	})
	return ordered
}

func blankRecord(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func (p *importParser) field(rec []string, col int) string {
	if i := p.cols[col]; i >= 0 && i < len(rec) {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

// row validates one record (safe to call from several goroutines); the
// reason of a rejection names the field and the rule, never the value.
func (p *importParser) row(rec []string, line int) (ImportRow, string) {
	var (
		r   = ImportRow{Line: line}
		err error
	)
	if len(rec) != p.width {
		return r, fmt.Sprintf("has %d fields, the header has %d", len(rec), p.width)
	}
	at := p.field(rec, colConsentAt)
	if at == "" {
		return r, "no consent evidence: consent_at is empty"
	}
	if r.ConsentAt, err = parseConsentTime(at); err != nil {
		return r, "consent_at: " + err.Error()
	}
	if r.ConsentAt.After(p.now.Add(24 * time.Hour)) {
		return r, "consent_at: in the future"
	}
	if r.Source = p.field(rec, colSource); r.Source == "" {
		return r, "no consent evidence: consent_source is empty"
	}
	if !utf8.ValidString(r.Source) || utf8.RuneCountInString(r.Source) > maxSourceRunes {
		return r, fmt.Sprintf("consent_source: not text of at most %d characters", maxSourceRunes)
	}
	if r.Email, err = NormalizeEmail(p.field(rec, colEmail)); err != nil {
		return r, "email: " + fieldMessage(err)
	}
	if name := p.field(rec, colName); name != "" {
		if r.Name, err = NormalizeName(name); err != nil {
			return r, "name: " + fieldMessage(err)
		}
	}
	if r.Phone, err = NormalizePhone(p.field(rec, colPhone), p.region); err != nil {
		return r, "phone: " + fieldMessage(err)
	}
	var ok bool
	if r.Marketing, ok = parseYesNo(p.field(rec, colMarketing)); !ok {
		return r, "marketing: want yes or no"
	}
	if r.CrossBorder, ok = parseYesNo(p.field(rec, colCrossBorder)); !ok {
		return r, "cross_border: want yes or no"
	}
	if r.IP = p.field(rec, colIP); r.IP != "" {
		ip := net.ParseIP(r.IP)
		if ip == nil {
			return r, "ip: not an IP address"
		}
		r.IP = ip.String()
	}
	if r.UserAgent = p.field(rec, colUserAgent); len(r.UserAgent) > maxUserAgentBytes || !utf8.ValidString(r.UserAgent) {
		return r, fmt.Sprintf("user_agent: not text of at most %d bytes", maxUserAgentBytes)
	}
	r.Locale = p.locale
	if l := p.field(rec, colLocale); l != "" {
		r.Locale = NormalizeLocale(l)
	}
	if r.PolicyVersion, err = importPolicyVersion(p.field(rec, colPolicyVersion)); err != nil {
		return r, "policy_version: " + err.Error()
	}
	r.EmailHash = p.im.Signer.hashNormalized(r.Email)
	return r, ""
}

// fieldMessage is the English text of a validation failure.
func fieldMessage(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return Message(LocaleEN, fe.Key)
	}
	return ErrorMessage(err)
}

// hashNormalized is KeyedHash of an address already normalized.
func (s *Signer) hashNormalized(addr string) string {
	return hex.EncodeToString(hmacSHA256(s.hashKey, []byte(addr)))
}

// consentTimeLayouts are the accepted spellings of consent_at; those
// without a zone are UTC.
var consentTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
	"02.01.2006 15:04:05",
	"02.01.2006 15:04",
	"02.01.2006",
}

func parseConsentTime(s string) (time.Time, error) {
	for _, layout := range consentTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1990 {
				return time.Time{}, errors.New("before 1990")
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date and time (want e.g. 2024-03-01T10:00:00+03:00 or 2024-03-01 10:00:00)")
}

// parseYesNo reads a yes/no cell; empty is no.
func parseYesNo(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "t", "1", "да", "д", "+", "on", "x":
		return true, true
	case "no", "n", "false", "f", "0", "нет", "н", "-", "off", "":
		return false, true
	}
	return false, false
}
