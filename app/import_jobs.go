package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// ImportJobStatus is where an import started from the console stands.
type ImportJobStatus string

// Import job states. ImportJobInterrupted is never stored: it is how a
// running job reads once its process stopped reporting (ImportJobStale).
const (
	ImportJobRunning     ImportJobStatus = "running"
	ImportJobDone        ImportJobStatus = "done"
	ImportJobFailed      ImportJobStatus = "failed"
	ImportJobInterrupted ImportJobStatus = "interrupted"
)

// ImportJobStale is how long a running job may go without a word from its
// process before it reads as interrupted (its transaction is gone with the
// process: nothing of it was written).
const ImportJobStale = time.Minute

// importJobTick is how often a running job records its progress.
const importJobTick = time.Second

// ImportJob is an import started from the console and run in the
// background: its progress while it runs, its report at the end. It
// holds no personal data (the report names lines and reasons).
type ImportJob struct {
	ID     int64
	Actor  string
	DryRun bool
	Status ImportJobStatus
	// Size is the file's size, Bytes how much of it was read.
	Size, Bytes int64
	Rows        int
	// Newsletters are the newsletters the people join (none: the
	// default of each consented purpose).
	Newsletters []int64
	Report      *ImportReport
	// Error is why a failed job failed (in English; ImportReason says
	// it in another language).
	Error     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Percent is how much of the file was read, 0 to 100.
func (j *ImportJob) Percent() int {
	if j.Status == ImportJobDone {
		return 100
	}
	if j.Size <= 0 {
		return 0
	}
	return int(min(100*j.Bytes/j.Size, 100))
}

// ImportJobStore keeps import jobs and reads subscribers for the export.
type ImportJobStore interface {
	CreateImportJob(ctx context.Context, j *ImportJob) error
	// SaveImportJob records a job's progress, state, report and error.
	SaveImportJob(ctx context.Context, j *ImportJob) error
	ImportJob(ctx context.Context, id int64) (*ImportJob, error)
	// RecentImportJobs lists the latest jobs, newest first.
	RecentImportJobs(ctx context.Context, limit int) ([]ImportJob, error)
	// ExportSubscribers returns up to limit subscribers (erased ones
	// left out) with ids above afterID, in id order, with their consents.
	ExportSubscribers(ctx context.Context, afterID int64, limit int) ([]SubscriberRecord, error)
	ListNewsletters(ctx context.Context) ([]Newsletter, error)
	// CurrentNewsletters returns, in one query, the ids of the newsletters
	// each of these subscribers is on now.
	CurrentNewsletters(ctx context.Context, subscriberIDs []int64) (map[int64][]int64, error)
	AddAudit(ctx context.Context, e *AuditEntry) error
}

// SubscriberRecord is a subscriber with the state of their consents, as
// the export lists them.
type SubscriberRecord struct {
	Subscriber
	Processing, Marketing, CrossBorder bool
	// Newsletters name the newsletters the person is on now.
	Newsletters []string
}

// Bulk imports files of subscribers in the background and exports the
// subscribers, for the console's owners and privacy officers.
type Bulk struct {
	Importer *Importer
	Store    ImportJobStore
	Log      *slog.Logger
	// Now is the clock; nil is the system clock.
	Now Clock
}

// Audit actions of the console's bulk operations (the import itself is
// AuditSubscribersImported).
const (
	AuditImportChecked       = "subscribers_import_checked"
	AuditSubscribersExported = "subscribers_exported"
)

// StartImport records a job and imports the file at path in the
// background (a dry run when dryRun), then removes the file. The file is
// the caller's upload, already on disk; it is removed whatever happens.
func (b *Bulk) StartImport(ctx context.Context, actor *Admin, path string, dryRun bool, newsletters []int64) (*ImportJob, error) {
	f, err := os.Open(path)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("start import: %w", err)
	}
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	now := b.Now.Now()
	j := &ImportJob{Actor: AdminActor(actor).String(), DryRun: dryRun, Status: ImportJobRunning, Size: size,
		Newsletters: newsletters, CreatedAt: now, UpdatedAt: now}
	if err := b.Store.CreateImportJob(ctx, j); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	job := *j
	go b.run(context.WithoutCancel(ctx), &job, f, path)
	return j, nil
}

// run imports f for job, records its progress every importJobTick and
// its end, and removes the file.
func (b *Bulk) run(ctx context.Context, job *ImportJob, f *os.File, path string) {
	defer os.Remove(path)
	defer f.Close()
	var bytes, rows atomic.Int64
	done := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(importJobTick)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p := *job
				p.Bytes, p.Rows, p.UpdatedAt = bytes.Load(), int(rows.Load()), b.Now.Now()
				if err := b.Store.SaveImportJob(ctx, &p); err != nil {
					b.log().Warn("import job: record progress", "job", job.ID, "err", err)
				}
			}
		}
	}()
	rep, err := b.Importer.Import(ctx, io.Reader(f), ImportOptions{Actor: job.Actor, DryRun: job.DryRun, Newsletters: job.Newsletters,
		Progress: func(p ImportProgress) { bytes.Store(p.Bytes); rows.Store(int64(p.Rows)) }})
	close(done)
	<-ticked
	job.Bytes, job.Rows, job.UpdatedAt = bytes.Load(), int(rows.Load()), b.Now.Now()
	switch {
	case err != nil:
		job.Status, job.Error = ImportJobFailed, ErrorMessage(err)
		if ErrorCode(err) == EINTERNAL {
			b.log().Error("import job failed", "job", job.ID, "err", err)
			job.Error = "the database failed; nothing was imported"
		}
	default:
		job.Status, job.Report, job.Rows, job.Bytes = ImportJobDone, rep, rep.Rows, job.Size
		if job.DryRun {
			err := audit(ctx, b.Store, Actor(job.Actor), AuditImportChecked, "import_job", job.ID,
				fmt.Sprintf("rows %d, would import %d, existing %d, suppressed %d, rejected %d",
					rep.Rows, rep.Imported, rep.Existing, rep.Suppressed, rep.Rejected))
			if err != nil {
				b.log().Error("import job: audit", "job", job.ID, "err", err)
			}
		}
	}
	if err := b.Store.SaveImportJob(ctx, job); err != nil {
		b.log().Error("import job: record end", "job", job.ID, "err", err)
	}
}

func (b *Bulk) log() *slog.Logger {
	if b.Log == nil {
		return slog.Default()
	}
	return b.Log
}

// ImportJob returns a job; a running job its process stopped reporting
// on reads as interrupted.
func (b *Bulk) ImportJob(ctx context.Context, id int64) (*ImportJob, error) {
	j, err := b.Store.ImportJob(ctx, id)
	if err != nil {
		return nil, err
	}
	b.stale(j)
	return j, nil
}

// Newsletters lists the newsletters an import may choose.
func (b *Bulk) Newsletters(ctx context.Context) ([]Newsletter, error) {
	return b.Store.ListNewsletters(ctx)
}

// RecentImportJobs lists the latest jobs, newest first.
func (b *Bulk) RecentImportJobs(ctx context.Context, limit int) ([]ImportJob, error) {
	list, err := b.Store.RecentImportJobs(ctx, limit)
	for i := range list {
		b.stale(&list[i])
	}
	return list, err
}

func (b *Bulk) stale(j *ImportJob) {
	if j.Status == ImportJobRunning && b.Now.Now().Sub(j.UpdatedAt) > ImportJobStale {
		j.Status = ImportJobInterrupted
	}
}

// BeginExport records in the audit log that actor exports the
// subscribers; ExportPages then reads them.
func (b *Bulk) BeginExport(ctx context.Context, actor *Admin) error {
	return audit(ctx, b.Store, AdminActor(actor), AuditSubscribersExported, "subscribers", 0, "csv")
}

// ExportPages hands the subscribers (the erased left out) to fn a page at
// a time, in id order, until the list ends or fn fails.
func (b *Bulk) ExportPages(ctx context.Context, fn func([]SubscriberRecord) error) error {
	const page = 1000
	all, err := b.Store.ListNewsletters(ctx)
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(all))
	for _, n := range all {
		names[n.ID] = n.Name
	}
	var after int64
	for {
		list, err := b.Store.ExportSubscribers(ctx, after, page)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			ids := make([]int64, len(list))
			for i := range list {
				ids[i] = list[i].ID
			}
			on, err := b.Store.CurrentNewsletters(ctx, ids)
			if err != nil {
				return err
			}
			for i := range list {
				for _, id := range on[list[i].ID] {
					list[i].Newsletters = append(list[i].Newsletters, names[id])
				}
			}
			if err := fn(list); err != nil {
				return err
			}
			after = list[len(list)-1].ID
		}
		if len(list) < page {
			return nil
		}
	}
}
