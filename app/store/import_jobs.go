package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

var _ app.ImportJobStore = (*Store)(nil)

type importJobRow struct {
	ID          int64 `gorm:"primaryKey"`
	Actor       string
	DryRun      bool
	Status      string
	SizeBytes   int64
	ReadBytes   int64
	RowsRead    int64
	Newsletters string
	Report      string
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (importJobRow) TableName() string { return "import_jobs" }

func importJobToRow(j *app.ImportJob) (importJobRow, error) {
	row := importJobRow{ID: j.ID, Actor: j.Actor, DryRun: j.DryRun, Status: string(j.Status), SizeBytes: j.Size,
		ReadBytes: j.Bytes, RowsRead: int64(j.Rows), Error: j.Error, CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC()}
	ids := make([]string, len(j.Newsletters))
	for i, id := range j.Newsletters {
		ids[i] = strconv.FormatInt(id, 10)
	}
	row.Newsletters = strings.Join(ids, ",")
	if j.Report != nil {
		b, err := json.Marshal(j.Report)
		if err != nil {
			return row, fmt.Errorf("import job report: %w", err)
		}
		row.Report = string(b)
	}
	return row, nil
}

func (r *importJobRow) job() (*app.ImportJob, error) {
	j := &app.ImportJob{ID: r.ID, Actor: r.Actor, DryRun: r.DryRun, Status: app.ImportJobStatus(r.Status), Size: r.SizeBytes,
		Bytes: r.ReadBytes, Rows: int(r.RowsRead), Error: r.Error, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	for _, s := range strings.Split(r.Newsletters, ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			j.Newsletters = append(j.Newsletters, id)
		}
	}
	if r.Report != "" {
		j.Report = &app.ImportReport{}
		if err := json.Unmarshal([]byte(r.Report), j.Report); err != nil {
			return nil, fmt.Errorf("import job %d: report: %w", r.ID, err)
		}
	}
	return j, nil
}

// CreateImportJob records a new import job and sets its ID.
func (s *Store) CreateImportJob(ctx context.Context, j *app.ImportJob) error {
	row, err := importJobToRow(j)
	if err != nil {
		return err
	}
	row.ID = 0
	if err := s.with(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	j.ID = row.ID
	return nil
}

// SaveImportJob records a job's progress, state, report and error. A job
// that has ended is not changed by a late progress report.
func (s *Store) SaveImportJob(ctx context.Context, j *app.ImportJob) error {
	row, err := importJobToRow(j)
	if err != nil {
		return err
	}
	err = s.with(ctx).Model(&importJobRow{}).Where("id = ? AND status = ?", j.ID, string(app.ImportJobRunning)).
		Updates(map[string]any{"status": row.Status, "read_bytes": row.ReadBytes, "rows_read": row.RowsRead,
			"report": row.Report, "error": row.Error, "updated_at": row.UpdatedAt}).Error
	if err != nil {
		return fmt.Errorf("save import job %d: %w", j.ID, err)
	}
	return nil
}

// ImportJob returns an import job.
func (s *Store) ImportJob(ctx context.Context, id int64) (*app.ImportJob, error) {
	var row importJobRow
	err := s.with(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, app.Errorf(app.ENOTFOUND, "import %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("import job %d: %w", id, err)
	}
	return row.job()
}

// RecentImportJobs lists the latest import jobs, newest first, without
// their reports.
func (s *Store) RecentImportJobs(ctx context.Context, limit int) ([]app.ImportJob, error) {
	var rows []importJobRow
	err := s.with(ctx).Omit("report").Order("id DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("recent import jobs: %w", err)
	}
	return fromRowsErr(rows, (*importJobRow).job)
}

// subscriberExportRow is a subscriber with their consents, as exported.
type subscriberExportRow struct {
	ID                                 int64
	Email, Name, Phone                 *string
	Locale, Status                     string
	CreatedAt, UpdatedAt               time.Time
	ConfirmedAt                        *time.Time
	Processing, Marketing, CrossBorder int
}

// ExportSubscribers returns up to limit subscribers with ids above
// afterID, erased ones left out, in id order, each with the state of
// their three consents (one query).
func (s *Store) ExportSubscribers(ctx context.Context, afterID int64, limit int) ([]app.SubscriberRecord, error) {
	var rows []subscriberExportRow
	err := s.with(ctx).Raw(`SELECT s.id, s.email, s.name, s.phone, s.locale, s.status, s.created_at, s.updated_at, s.confirmed_at,
		COALESCE(MAX(CASE WHEN c.purpose = 'processing' AND c.granted THEN 1 END), 0) AS processing,
		COALESCE(MAX(CASE WHEN c.purpose = 'marketing' AND c.granted THEN 1 END), 0) AS marketing,
		COALESCE(MAX(CASE WHEN c.purpose = 'cross_border' AND c.granted THEN 1 END), 0) AS cross_border
		FROM subscribers s LEFT JOIN consents c ON c.subscriber_id = s.id
		WHERE s.id > ? AND s.status <> 'erased'
		GROUP BY s.id, s.email, s.name, s.phone, s.locale, s.status, s.created_at, s.updated_at, s.confirmed_at ORDER BY s.id LIMIT ?`, afterID, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("export subscribers: %w", err)
	}
	out := make([]app.SubscriberRecord, len(rows))
	for i := range rows {
		sub := subscriberRow{ID: rows[i].ID, Email: rows[i].Email, Name: rows[i].Name, Phone: rows[i].Phone, Locale: rows[i].Locale,
			Status: rows[i].Status, CreatedAt: rows[i].CreatedAt, UpdatedAt: rows[i].UpdatedAt, ConfirmedAt: rows[i].ConfirmedAt}
		out[i] = app.SubscriberRecord{Subscriber: *sub.subscriber(), Processing: rows[i].Processing == 1,
			Marketing: rows[i].Marketing == 1, CrossBorder: rows[i].CrossBorder == 1}
	}
	return out, nil
}
