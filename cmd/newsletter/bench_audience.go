package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"newsletter/app"
	"newsletter/app/config"
)

// benchAudience times the count of a campaign's audience (the campaign
// page and GET /api/v1/campaigns/{id}/audience) on a varied population,
// with and without a segment, and the materialization of a campaign to a
// segment of it.
func benchAudience(ctx context.Context, cfg *config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench audience", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("recipients", 1000000, "subscribers")
	runs := fs.Int("runs", 5, "counts of each kind (the median is printed)")
	databaseURL := fs.String("database-url", cfg.DatabaseURL, "PostgreSQL URL")
	keep := fs.Bool("keep", false, "keep the bench schema")
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("bench audience: %v\n%s", err, benchUsage)}
	}
	switch {
	case *databaseURL == "":
		return usageError{"bench audience: PostgreSQL is required: set DATABASE_URL or pass --database-url"}
	case *n < 1 || *runs < 1:
		return usageError{"bench audience: --recipients and --runs must be at least 1"}
	}
	db, err := openBenchDB(ctx, *databaseURL, *keep)
	if err != nil {
		return err
	}
	defer db.close()
	fmt.Fprintf(stdout, "bench audience: seeding %d subscribers in schema %s\n", *n, db.schema)
	start := time.Now()
	if err := seedAudience(ctx, db, *n); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "machine          %s\n", machine())
	fmt.Fprintf(stdout, "seeded in        %.1f s\n", time.Since(start).Seconds())
	ru := &app.Segment{Name: "Russian, footer form, since 2025", Filter: app.SegmentFilter{Locales: []string{"ru"},
		SubscribedFrom: new(time.Now().AddDate(-1, 0, 0).UTC()),
		Sources:        []app.SegmentSource{{Kind: app.SourceForm, ID: "footer"}, {Kind: app.SourceImport, ID: "fair"}}}}
	if err := db.st.CreateSegment(ctx, ru); err != nil {
		return err
	}
	sqlDB, err := db.st.DB()
	if err != nil {
		return err
	}
	var offers int64
	if err := sqlDB.QueryRowContext(ctx, `SELECT id FROM newsletters WHERE name = 'Offers'`).Scan(&offers); err != nil {
		return fmt.Errorf("bench audience: %w", err)
	}
	def, err := db.st.DefaultNewsletter(ctx, app.CampaignMarketing)
	if err != nil {
		return err
	}
	cases := []struct {
		name string
		a    app.Audience
	}{
		{"count, marketing, no segment", app.Audience{Purpose: app.CampaignMarketing}},
		{"count, marketing, cross-border required", app.Audience{Purpose: app.CampaignMarketing, CrossBorder: true}},
		{"count, informational, segment", app.Audience{Purpose: app.CampaignInformational, Segment: ru.Filter}},
		{"count, marketing, segment", app.Audience{Purpose: app.CampaignMarketing, Segment: ru.Filter}},
		{"count, marketing, two newsletters", app.Audience{Purpose: app.CampaignMarketing, Newsletters: []int64{def.ID, offers}}},
	}
	for _, c := range cases {
		var times []time.Duration
		var got *app.AudienceCount
		for range *runs {
			t0 := time.Now()
			if got, err = db.st.CountAudience(ctx, c.a); err != nil {
				return err
			}
			times = append(times, time.Since(t0))
		}
		slices.Sort(times)
		fmt.Fprintf(stdout, "%-42s median %4d ms (%d to %d ms): total %d, excluded %+v\n", c.name,
			times[len(times)/2].Milliseconds(), times[0].Milliseconds(), times[len(times)-1].Milliseconds(), got.Total, got.Excluded)
	}
	// Materialization to the segment, as the dispatch does it.
	camp := &app.Campaign{Name: "Bench", Subject: "S", Purpose: app.CampaignMarketing, BodyHTML: "<p>x</p>",
		Status: app.CampaignDraft, SegmentID: &ru.ID}
	if err := db.st.CreateCampaign(ctx, camp); err != nil {
		return err
	}
	now := time.Now()
	if _, err := db.st.TransitionCampaign(ctx, camp.ID, app.CampaignTransition{From: []app.CampaignStatus{app.CampaignDraft},
		To: app.CampaignScheduled, SendAt: &now, BumpVersion: true}); err != nil {
		return err
	}
	if _, err := db.st.StartCampaign(ctx, camp.ID, 1, time.Now()); err != nil {
		return err
	}
	if camp, err = db.st.Campaign(ctx, camp.ID); err != nil {
		return err
	}
	a := app.AudienceOf(camp, app.Operator{})
	t0 := time.Now()
	from, maxID, err := db.st.BeginMaterialization(ctx, camp.ID)
	if err != nil {
		return err
	}
	const chunk = 50000
	var total int64
	for lo := from; lo <= maxID; lo += chunk {
		k, err := db.st.MaterializeDeliveries(ctx, camp.ID, a, lo, min(lo+chunk, maxID+1))
		if err != nil {
			return err
		}
		total += k
	}
	if err := db.st.FinishMaterialization(ctx, camp.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-42s %.2f s: %d deliveries of %d subscribers\n", "materialize, marketing, segment",
		time.Since(t0).Seconds(), total, *n)
	return nil
}

// seedAudience adds n subscribers of every kind the count tells apart: two
// languages, confirmed over two years, from three forms and an import,
// some blocked, suppressed, without marketing or cross-border consent, a
// few without the processing consent; everyone on the default
// newsletters, a third also on the newsletter Offers.
func seedAudience(ctx context.Context, db *benchDB, n int) error {
	sqlDB, _ := db.st.DB()
	for _, q := range []string{
		`INSERT INTO subscribers (email, email_hash, name, locale, status, created_at, updated_at, confirmed_at)
		SELECT 'bench' || g || '@example.com', 'bench:' || g, 'Person ' || g, CASE WHEN g % 3 = 0 THEN 'ru' ELSE 'en' END,
			CASE WHEN g % 100 = 0 THEN 'blocked' WHEN g % 97 = 0 THEN 'pending' ELSE 'active' END, now(), now(),
			now() - make_interval(days => g % 730)
		FROM generate_series(1, $1::int) g`,
		`INSERT INTO consents (subscriber_id, purpose, granted, updated_at)
		SELECT s.id, v.p, CASE v.p WHEN 'processing' THEN s.id % 50 <> 1 WHEN 'marketing' THEN s.id % 4 <> 0 ELSE s.id % 2 = 0 END, now()
		FROM subscribers s CROSS JOIN (VALUES ('processing'), ('marketing'), ('cross_border')) v(p)`,
		`INSERT INTO consent_events (subscriber_id, purpose, action, channel, form_id, created_at)
		SELECT s.id, 'processing', 'granted', CASE WHEN s.id % 5 >= 3 THEN 'import' ELSE 'web' END,
			CASE s.id % 5 WHEN 0 THEN 'footer' WHEN 1 THEN 'footer' WHEN 2 THEN 'popup' ELSE 'fair' END, now()
		FROM subscribers s`,
		`INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at)
		SELECT s.id, n.id, 'import', now() FROM subscribers s CROSS JOIN newsletters n WHERE n.is_default`,
		`INSERT INTO newsletters (name, purpose) VALUES ('Offers', 'marketing')`,
		`INSERT INTO newsletter_members (subscriber_id, newsletter_id, channel, joined_at)
		SELECT s.id, n.id, 'web', now() FROM subscribers s CROSS JOIN newsletters n WHERE n.name = 'Offers' AND s.id % 3 = 1`,
		`INSERT INTO suppressions (email_hash, reason) SELECT 'bench:' || g, 'manual' FROM generate_series(7, $1::int, 200) g`,
		`VACUUM ANALYZE subscribers`, `VACUUM ANALYZE consents`, `VACUUM ANALYZE consent_events`, `VACUUM ANALYZE suppressions`,
		`VACUUM ANALYZE newsletter_members`,
	} {
		var err error
		if strings.Contains(q, "$1") {
			_, err = sqlDB.ExecContext(ctx, q, n)
		} else {
			_, err = sqlDB.ExecContext(ctx, q)
		}
		if err != nil {
			return fmt.Errorf("seed the audience: %w", err)
		}
	}
	return nil
}
