package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"newsletter/app"
)

func (e *env) bulk() *app.Bulk {
	return &app.Bulk{Importer: e.importer(), Store: e.store, Now: func() time.Time { return e.now }}
}

// waitImport waits for a job to end (the import runs in the background).
func waitImport(t *testing.T, b *app.Bulk, id int64) *app.ImportJob {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		j, err := b.ImportJob(context.Background(), id)
		must(t, err)
		if j.Status != app.ImportJobRunning {
			return j
		}
	}
	t.Fatalf("import %d did not end", id)
	return nil
}

// TestBulkImportJob: an import started in the background reports its
// end and its rejected lines; a dry run writes no subscriber and removes
// the upload; the export lists the imported people with their consents.
func TestBulkImportJob(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		b, admin := e.bulk(), &app.Admin{ID: 7}
		start := func(dry bool) *app.ImportJob {
			path := filepath.Join(t.TempDir(), "upload.csv")
			must(t, os.WriteFile(path, []byte(importFile), 0o600))
			j, err := b.StartImport(ctx, admin, path, dry, nil)
			must(t, err)
			j = waitImport(t, b, j.ID)
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the upload was kept: %v", err)
			}
			return j
		}
		dry := start(true)
		if dry.Status != app.ImportJobDone || !dry.DryRun || dry.Report == nil || dry.Report.Imported != 5 || dry.Report.Rejected != 8 ||
			dry.Report.Rejections[0].Line != 4 || dry.Percent() != 100 {
			t.Fatalf("dry run %+v %+v", dry, dry.Report)
		}
		if _, err := e.store.SubscriberByEmail(ctx, "ivan@example.com"); !app.IsNotFound(err) {
			t.Fatalf("a dry run wrote: %v", err)
		}
		real := start(false)
		if real.Status != app.ImportJobDone || real.Report.Imported != 5 || real.Actor != "admin:7" {
			t.Fatalf("import %+v %+v", real, real.Report)
		}
		list, err := b.RecentImportJobs(ctx, 10)
		must(t, err)
		if len(list) != 2 || list[0].ID != real.ID {
			t.Fatalf("recent %+v", list)
		}
		var got []app.SubscriberRecord
		must(t, b.BeginExport(ctx, admin))
		must(t, b.ExportPages(ctx, func(page []app.SubscriberRecord) error {
			got = append(got, page...)
			return nil
		}))
		if len(got) != 5 || got[0].Email != "ivan@example.com" || !got[0].Processing || !got[0].Marketing || got[1].Marketing {
			t.Fatalf("export %+v", got)
		}
		entries, err := e.store.ListAudit(ctx, app.AuditQuery{Actor: "admin:7", Limit: 10})
		must(t, err)
		actions := map[string]bool{}
		for _, a := range entries {
			actions[a.Action] = true
		}
		for _, want := range []string{app.AuditImportChecked, app.AuditSubscribersImported, app.AuditSubscribersExported} {
			if !actions[want] {
				t.Errorf("no audit entry %s in %v", want, actions)
			}
		}

		bad := filepath.Join(t.TempDir(), "bad.csv")
		must(t, os.WriteFile(bad, []byte("email,name\nx@example.com,X\n"), 0o600))
		j, err := b.StartImport(ctx, admin, bad, false, nil)
		must(t, err)
		if j = waitImport(t, b, j.ID); j.Status != app.ImportJobFailed || j.Error == "" {
			t.Fatalf("bad file %+v", j)
		}
	})
}

// TestImportIntoChosenNewsletters: the people of an import join the
// newsletters chosen for it that their consents allow, not the defaults;
// an id that names no newsletter fails the import and writes nothing.
func TestImportIntoChosenNewsletters(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		spring := &app.Newsletter{Name: "Spring offers", Purpose: app.CampaignMarketing}
		must(t, e.store.CreateNewsletter(ctx, spring))
		info, err := e.store.DefaultNewsletter(ctx, app.CampaignInformational)
		must(t, err)
		file := "email,consent_at,consent_source,marketing\n" +
			"yes@example.com,2025-03-01,Spring fair,yes\n" +
			"no@example.com,2025-03-01,Spring fair,no\n"
		_, err = e.importer().Import(ctx, strings.NewReader(file), app.ImportOptions{Actor: "test", Newsletters: []int64{spring.ID, 999999}})
		if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ImportReason("ru", app.ErrorMessage(err)), "рассылки 999999 нет") {
			t.Fatalf("unknown newsletter: %v", err)
		}
		if _, err := e.store.SubscriberByEmail(ctx, "yes@example.com"); !app.IsNotFound(err) {
			t.Fatalf("a refused import wrote: %v", err)
		}
		rep, err := e.importer().Import(ctx, strings.NewReader(file), app.ImportOptions{Actor: "test", Newsletters: []int64{spring.ID, info.ID}})
		must(t, err)
		if rep.Imported != 2 {
			t.Fatalf("report %+v", rep)
		}
		want := map[string][]int64{"yes@example.com": {info.ID, spring.ID}, "no@example.com": {info.ID}}
		for email, ids := range want {
			sub, err := e.store.SubscriberByEmail(ctx, email)
			must(t, err)
			ms, err := e.store.Memberships(ctx, sub.ID)
			must(t, err)
			var got []int64
			for _, m := range ms {
				if m.Current() {
					got = append(got, m.NewsletterID)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, ids) {
				t.Errorf("%s is on %v, want %v", email, got, ids)
			}
		}
	})
}

// TestImportJobInterrupted: a running job whose process stopped reporting
// for longer than ImportJobStale reads as interrupted; a late report does
// not bring it back from its end.
func TestImportJobInterrupted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		j := &app.ImportJob{Actor: "admin:1", Status: app.ImportJobRunning, Size: 100, Bytes: 40, CreatedAt: e.now, UpdatedAt: e.now}
		must(t, e.store.CreateImportJob(ctx, j))
		b := e.bulk()
		got, err := b.ImportJob(ctx, j.ID)
		must(t, err)
		if got.Status != app.ImportJobRunning || got.Percent() != 40 {
			t.Fatalf("fresh job %+v", got)
		}
		b.Now = func() time.Time { return e.now.Add(app.ImportJobStale + time.Second) }
		if got, err = b.ImportJob(ctx, j.ID); err != nil || got.Status != app.ImportJobInterrupted {
			t.Fatalf("stale job %+v %v", got, err)
		}
		j.Status, j.Error = app.ImportJobFailed, "broken"
		must(t, e.store.SaveImportJob(ctx, j))
		j.Status = app.ImportJobRunning
		must(t, e.store.SaveImportJob(ctx, j))
		if got, err = e.store.ImportJob(ctx, j.ID); err != nil || got.Status != app.ImportJobFailed {
			t.Fatalf("ended job changed: %+v %v", got, err)
		}
		if _, err := e.store.ImportJob(ctx, 999999); !app.IsNotFound(err) {
			t.Fatalf("missing job: %v", err)
		}
	})
}
