package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
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
	p := &importParser{im: im, csv: r, width: len(header), now: im.Now.Now(),
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
