package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
	"newsletter/templates"
)

// DefaultImportBodyLimit is the largest file the console's import takes
// by default: 50 MB, about half a million rows of name, address, phone
// and consent. Larger files go through `newsletter import`.
const DefaultImportBodyLimit = 50 << 20

// importRecent is how many imports the import page lists.
const importRecent = 20

// exportTimeout bounds the reading of one export.
const exportTimeout = 10 * time.Minute

type importData struct {
	LimitMB     int
	DryRun      bool
	Message     string
	Chosen      []int64
	Newsletters []importNewsletter
	Jobs        []importJobRow
}

// importNewsletter is a newsletter the people of an import may join.
type importNewsletter struct {
	ID               int64
	Name, Purpose    string
	Default, Checked bool
}

type importJobRow struct {
	ID                    int64
	When, By, Kind, State string
	Rows                  int
}

// adminImport shows the upload form, the export and the recent imports.
func (s *Server) adminImport(c *fiber.Ctx) error {
	return s.importPage(c, fiber.StatusOK, importData{DryRun: true})
}

func (s *Server) importPage(c *fiber.Ctx, status int, d importData) error {
	ctx, loc := c.UserContext(), adminLocale(c)
	jobs, err := s.deps.Bulk.RecentImportJobs(ctx, importRecent)
	if err != nil {
		return err
	}
	names, err := s.importActors(c, jobs)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		d.Jobs = append(d.Jobs, importJobRow{ID: j.ID, When: s.localTime(j.CreatedAt), By: names.name(j.Actor),
			Kind: importKind(loc, &j), State: templates.T(loc, "admin.import.status."+string(j.Status)), Rows: j.Rows})
	}
	d.LimitMB = s.opts.ImportBodyLimit >> 20
	all, err := s.deps.Bulk.Newsletters(ctx)
	if err != nil {
		return err
	}
	for _, n := range all {
		d.Newsletters = append(d.Newsletters, importNewsletter{ID: n.ID, Name: n.Name, Purpose: templates.T(loc, "admin.import.purpose."+string(n.Purpose)),
			Default: n.Default, Checked: slices.Contains(d.Chosen, n.ID)})
	}
	return s.sectionPage(c, status, "import", d)
}

// importActors names who started the jobs (by address when the privacy
// operations are plugged in).
func (s *Server) importActors(c *fiber.Ctx, jobs []app.ImportJob) (actorNames, error) {
	if s.deps.Privacy == nil {
		return actorNames{loc: adminLocale(c)}, nil
	}
	actors := make([]string, len(jobs))
	for i, j := range jobs {
		actors[i] = j.Actor
	}
	return s.actorNames(c, actors)
}

func importKind(loc string, j *app.ImportJob) string {
	if j.DryRun {
		return templates.T(loc, "admin.import.kind.dry")
	}
	return templates.T(loc, "admin.import.kind.real")
}

// adminStartImport takes the uploaded file to disk and starts its import
// (or dry run) in the background, then shows its page.
func (s *Server) adminStartImport(c *fiber.Ctx) error {
	loc := adminLocale(c)
	dry := bodyValue(c, "dry_run") == "1"
	newsletters, err := formIDs(c, "newsletters")
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		return s.importPage(c, fiber.StatusUnprocessableEntity, importData{DryRun: dry, Chosen: newsletters,
			Message: templates.T(loc, "admin.import.nofile")})
	}
	path, err := saveUpload(fh)
	if err != nil {
		return err
	}
	job, err := s.deps.Bulk.StartImport(c.UserContext(), currentAdmin(c), path, dry, newsletters)
	if err != nil {
		return err
	}
	return c.Redirect("/admin/import/"+strconv.FormatInt(job.ID, 10), fiber.StatusSeeOther)
}

// saveUpload copies an uploaded file to a temporary file of its own
// (readable by this user only) and returns its path; the import removes
// it when it ends.
func saveUpload(fh *multipart.FileHeader) (string, error) {
	src, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("open upload: %w", err)
	}
	defer src.Close()
	f, err := os.CreateTemp("", "newsletter-import-*.csv")
	if err != nil {
		return "", fmt.Errorf("store upload: %w", err)
	}
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("store upload: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("store upload: %w", err)
	}
	return f.Name(), nil
}

type importJobData struct {
	ID                    int64
	Title, Kind, When, By string
	State, Status, Error  string
	Running, DryRun       bool
	Percent, Rows, More   int
	Report                *app.ImportReport
	Rejections            []app.Rejection
	Ignored               string
}

// adminImportJob shows an import: its progress while it runs (the page
// refreshes itself), its report at the end, the rejected lines by number
// and reason in the console's language.
func (s *Server) adminImportJob(c *fiber.Ctx) error {
	ctx, loc := c.UserContext(), adminLocale(c)
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return fiber.ErrNotFound
	}
	j, err := s.deps.Bulk.ImportJob(ctx, id)
	if err != nil {
		return err
	}
	names, err := s.importActors(c, []app.ImportJob{*j})
	if err != nil {
		return err
	}
	d := importJobData{ID: j.ID, Title: templates.T(loc, "admin.import.job", j.ID), Kind: importKind(loc, j),
		When: s.localTime(j.CreatedAt), By: names.name(j.Actor), State: templates.T(loc, "admin.import.status."+string(j.Status)),
		Status: string(j.Status), Error: app.ImportReason(loc, j.Error), Running: j.Status == app.ImportJobRunning,
		DryRun: j.DryRun, Percent: j.Percent(), Rows: j.Rows, Report: j.Report}
	if r := j.Report; r != nil {
		d.More = r.Rejected - len(r.Rejections)
		for _, x := range r.Rejections {
			d.Rejections = append(d.Rejections, app.Rejection{Line: x.Line, Reason: app.ImportReason(loc, x.Reason)})
		}
		for i, col := range r.IgnoredColumns {
			if i > 0 {
				d.Ignored += ", "
			}
			d.Ignored += col
		}
	}
	return s.adminPage(c, fiber.StatusOK, "admin_import_job", "import", d.Title, d)
}

// adminSubscribersCSV downloads every subscriber (the erased left out)
// with their consents, streamed a page at a time: UTF-8, with a byte
// order mark for spreadsheet programs when asked (?bom=1), formula-like
// cells defused. The download is audited before the first byte.
func (s *Server) adminSubscribersCSV(c *fiber.Ctx) error {
	if err := s.deps.Bulk.BeginExport(c.UserContext(), currentAdmin(c)); err != nil {
		return err
	}
	bom, log, bulk := c.Query("bom") == "1", s.deps.Log, s.deps.Bulk
	ctx := context.WithoutCancel(c.UserContext())
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subscribers-`+time.Now().UTC().Format("20060102")+`.csv"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(ctx, exportTimeout)
		defer cancel()
		if bom {
			w.WriteString("\ufeff")
		}
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "email", "name", "phone", "locale", "status", "created_at", "confirmed_at",
			"processing", "marketing", "cross_border", "newsletters"})
		err := bulk.ExportPages(ctx, func(page []app.SubscriberRecord) error {
			for _, r := range page {
				_ = cw.Write(safeCells(strconv.FormatInt(r.ID, 10), r.Email, r.Name, r.Phone, r.Locale, string(r.Status),
					csvTime(r.CreatedAt), csvTimePtr(r.ConfirmedAt), yesNo(r.Processing), yesNo(r.Marketing), yesNo(r.CrossBorder),
					strings.Join(r.Newsletters, "; ")))
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			return w.Flush()
		})
		if err != nil {
			// The status is sent: the file ends short, and the log says so.
			log.Error("subscriber export ended early", "err", err)
		}
	})
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
