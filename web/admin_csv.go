package web

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// csvFile is a CSV download being written: UTF-8, with a byte order mark
// first when the client asks for one (?bom=1) so that spreadsheet programs
// read Cyrillic right. Every text cell goes through csvCell.
type csvFile struct {
	buf bytes.Buffer
	w   *csv.Writer
}

func newCSVFile(c *fiber.Ctx) *csvFile {
	f := &csvFile{}
	if c.Query("bom") == "1" {
		f.buf.WriteString("\ufeff")
	}
	f.w = csv.NewWriter(&f.buf)
	return f
}

// row writes one record; cells are made safe from formula injection.
func (f *csvFile) row(cells ...string) {
	_ = f.w.Write(safeCells(cells...))
}

// safeCells makes every cell safe from formula injection (csvCell), in
// place, and returns them.
func safeCells(cells ...string) []string {
	for i, s := range cells {
		cells[i] = csvCell(s)
	}
	return cells
}

// send answers with the file as an attachment named name-YYYYMMDD.csv.
func (f *csvFile) send(c *fiber.Ctx, name string) error {
	f.w.Flush()
	if err := f.w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`-`+time.Now().UTC().Format("20060102")+`.csv"`)
	return c.Send(f.buf.Bytes())
}

// csvCell keeps a spreadsheet from taking a cell for a formula: a cell
// starting with = + - @ (or a tab or carriage return) gets a leading
// apostrophe. Quoting and escaping are encoding/csv's.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return csvTime(*t)
}

func csvID(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// actorNames says who the actors of audit entries are, in the console's
// language: an operator by address (the addresses read in one query),
// a subscriber by id, the product itself as the system.
type actorNames struct {
	loc    string
	emails map[int64]string
}

func (s *Server) actorNames(c *fiber.Ctx, actors []string) (actorNames, error) {
	emails, err := s.deps.Privacy.ActorEmails(c.UserContext(), actors)
	if err != nil {
		return actorNames{}, err
	}
	return actorNames{loc: adminLocale(c), emails: emails}, nil
}

func (n actorNames) name(actor string) string {
	a := app.Actor(actor)
	if id, ok := a.AdminID(); ok {
		if e, ok := n.emails[id]; ok {
			return e
		}
		return templates.T(n.loc, "admin.actor.gone", id)
	}
	if id, ok := a.SubscriberID(); ok {
		return templates.T(n.loc, "admin.actor.subscriber", id)
	}
	switch actor {
	case string(app.ActorSystem):
		return templates.T(n.loc, "admin.actor.system")
	case "cli":
		return templates.T(n.loc, "admin.actor.cli")
	}
	return actor
}

// reasonActor is how an operator's erasure names them in a destruction
// record's reason as stored: "(admin:ID)".
var reasonActor = regexp.MustCompile(`\((admin:[0-9]+)\)`)

// destructionWords says who destroyed the data of each record: the
// actor of the erasure in the audit log, or the system when no operator
// ordered it (the product erased on the person's own withdrawal); and it
// names the operator a stored reason mentions by address. The page's
// records are changed in place; two queries for the whole list.
func (s *Server) destructionWords(c *fiber.Ctx, ds []app.Destruction) (by map[int64]string, err error) {
	by = make(map[int64]string, len(ds))
	if len(ds) == 0 {
		return by, nil
	}
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.SubscriberID
	}
	entries, err := s.deps.Privacy.Audit(c.UserContext(), app.AuditQuery{Action: app.AuditSubscriberErased, SubjectType: "subscriber",
		SubjectIDs: ids, Limit: 1000})
	if err != nil {
		return nil, err
	}
	actors := auditActors(entries)
	for _, d := range ds {
		for _, m := range reasonActor.FindAllStringSubmatch(d.Reason, -1) {
			actors = append(actors, m[1])
		}
	}
	names, err := s.actorNames(c, actors)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if _, seen := by[e.SubjectID]; !seen {
			by[e.SubjectID] = names.name(e.Actor)
		}
	}
	for i := range ds {
		if _, ok := by[ds[i].SubscriberID]; !ok {
			by[ds[i].SubscriberID] = names.name(string(app.ActorSystem))
		}
		ds[i].Reason = reasonActor.ReplaceAllStringFunc(ds[i].Reason, func(m string) string {
			return "(" + names.name(m[1:len(m)-1]) + ")"
		})
	}
	return by, nil
}
