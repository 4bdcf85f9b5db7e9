package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"newsletter/app"
)

// Segments (app.SegmentStore): saved filters, their SQL, and the count of a
// campaign's audience.

type segmentRow struct {
	ID        int64
	Name      string
	Filter    string
	CreatedBy *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (segmentRow) TableName() string { return "segments" }

func (r *segmentRow) segment() (*app.Segment, error) {
	g := &app.Segment{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.CreatedBy != nil {
		g.CreatedBy = *r.CreatedBy
	}
	if err := json.Unmarshal([]byte(r.Filter), &g.Filter); err != nil {
		return nil, fmt.Errorf("read segment %d: %w", r.ID, err)
	}
	return g, nil
}

// CreateSegment implements app.SegmentStore.
func (s *Store) CreateSegment(ctx context.Context, g *app.Segment) error {
	f, err := json.Marshal(g.Filter)
	if err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	t := s.now()
	r := segmentRow{Name: g.Name, Filter: string(f), CreatedAt: t, UpdatedAt: t}
	if g.CreatedBy != 0 {
		r.CreatedBy = &g.CreatedBy
	}
	if err := s.with(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	g.ID, g.CreatedAt, g.UpdatedAt = r.ID, t, t
	return nil
}

// Segment implements app.SegmentStore.
func (s *Store) Segment(ctx context.Context, id int64) (*app.Segment, error) {
	var r segmentRow
	if err := s.with(ctx).Take(&r, id).Error; err != nil {
		return nil, notFound(err, "segment")
	}
	return r.segment()
}

// ListSegments implements app.SegmentStore.
func (s *Store) ListSegments(ctx context.Context) ([]app.Segment, error) {
	var rows []segmentRow
	if err := s.with(ctx).Order("name, id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list segments: %w", err)
	}
	return fromRowsErr(rows, (*segmentRow).segment)
}

// segmentInUse refuses a change to a segment that campaigns in the given
// statuses use (any campaign when statuses is empty).
func (s *Store) segmentInUse(ctx context.Context, id int64, verb string, statuses ...app.CampaignStatus) error {
	q := s.with(ctx).Model(&campaignRow{}).Select("id").Where("segment_id = ?", id)
	if len(statuses) > 0 {
		q = q.Where("status IN ?", statuses)
	}
	var ids []int64
	if err := q.Order("id").Limit(1).Scan(&ids).Error; err != nil {
		return fmt.Errorf("campaigns of segment: %w", err)
	}
	if len(ids) > 0 {
		return app.Errorf(app.ECONFLICT, "The segment cannot be %s: campaign %d uses it.", verb, ids[0])
	}
	return nil
}

// UpdateSegment implements app.SegmentStore.
func (s *Store) UpdateSegment(ctx context.Context, g *app.Segment) error {
	f, err := json.Marshal(g.Filter)
	if err != nil {
		return fmt.Errorf("update segment: %w", err)
	}
	return s.tx(ctx, func(tx *Store) error {
		if err := tx.segmentInUse(ctx, g.ID, "changed", app.CampaignScheduled, app.CampaignRunning, app.CampaignPaused); err != nil {
			return err
		}
		t := tx.now()
		res := tx.with(ctx).Model(&segmentRow{}).Where("id = ?", g.ID).Updates(map[string]any{
			"name": g.Name, "filter": string(f), "updated_at": t})
		if res.Error != nil {
			return fmt.Errorf("update segment: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return app.Errorf(app.ENOTFOUND, "segment not found")
		}
		g.UpdatedAt = t
		return nil
	})
}

// DeleteSegment implements app.SegmentStore.
func (s *Store) DeleteSegment(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *Store) error {
		if err := tx.segmentInUse(ctx, id, "deleted"); err != nil {
			return err
		}
		res := tx.with(ctx).Delete(&segmentRow{}, id)
		if res.Error != nil {
			return fmt.Errorf("delete segment: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return app.Errorf(app.ENOTFOUND, "segment not found")
		}
		return nil
	})
}

// readCampaignSegment reads the filter of a campaign's segment into it.
func (s *Store) readCampaignSegment(ctx context.Context, c *app.Campaign) error {
	if c.SegmentID == nil {
		return nil
	}
	g, err := s.Segment(ctx, *c.SegmentID)
	if err != nil {
		return fmt.Errorf("segment of campaign %d: %w", c.ID, err)
	}
	c.Segment = &g.Filter
	return nil
}

// segmentSQL is the segment rule as a condition on subscribers s, with its
// named arguments (all named seg_*) added to args; it mirrors
// app.SegmentFilter.Match and never holds a value of the filter, only
// parameters. consent is the test that s granted a purpose (consentExists,
// or consentFlag for the count). The condition is never NULL, so NOT of it
// is safe.
func segmentSQL(f app.SegmentFilter, args map[string]any, consent func(app.Purpose) string) string {
	parts := []string{"1 = 1"}
	if len(f.Locales) > 0 {
		parts = append(parts, "s.locale IN @seg_locales")
		args["seg_locales"] = f.Locales
	}
	if f.SubscribedFrom != nil {
		parts = append(parts, "(s.confirmed_at IS NOT NULL AND s.confirmed_at >= @seg_from)")
		args["seg_from"] = f.SubscribedFrom.UTC()
	}
	if f.SubscribedUntil != nil {
		parts = append(parts, "(s.confirmed_at IS NOT NULL AND s.confirmed_at < @seg_until)")
		args["seg_until"] = f.SubscribedUntil.UTC()
	}
	if len(f.Sources) > 0 {
		var forms, imports []string
		for _, src := range f.Sources {
			if src.Kind == app.SourceImport {
				imports = append(imports, src.ID)
			} else {
				forms = append(forms, src.ID)
			}
		}
		var or []string
		if len(forms) > 0 {
			or = append(or, "(e.form_id IN @seg_forms AND e.channel <> '"+string(app.ChannelImport)+"')")
			args["seg_forms"] = forms
		}
		if len(imports) > 0 {
			or = append(or, "(e.form_id IN @seg_imports AND e.channel = '"+string(app.ChannelImport)+"')")
			args["seg_imports"] = imports
		}
		parts = append(parts, `EXISTS (SELECT 1 FROM consent_events e WHERE e.subscriber_id = s.id
			AND e.purpose = '`+string(app.PurposeProcessing)+`' AND e.action = 'granted' AND (`+strings.Join(or, " OR ")+`))`)
	}
	if f.CrossBorder != nil {
		cond := consent(app.PurposeCrossBorder)
		if !*f.CrossBorder {
			cond = "NOT " + cond
		}
		parts = append(parts, cond)
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// CountAudience implements app.SegmentStore: the people on the audience's
// newsletters and in its segment who are active or blocked, each by the
// first reason the claim of a delivery would skip them for now
// (skipReasonSQL's order, that is Judge's), and those it would reach per
// newsletter, in one statement. It reads consents and suppression from
// the copy on the subscriber's row (migration 0024, kept true by the
// database), and every input in subscriber order from an index alone, so
// that PostgreSQL merges them (countPlan): the people who may be counted,
// the members of each newsletter (a left join each: a person on several
// is one row, and which of them they are on gives the count per
// newsletter), and for a segment by source the grants of the processing
// consent. A million people are one pass over each index.
func (s *Store) CountAudience(ctx context.Context, a app.Audience) (*app.AudienceCount, error) {
	ids := a.Newsletters
	if len(ids) == 0 {
		d, err := s.DefaultNewsletter(ctx, a.Purpose)
		if err != nil {
			return nil, fmt.Errorf("count audience: %w", err)
		}
		ids = []int64{d.ID}
	}
	joins := make([]string, len(ids))
	on := make([]string, len(ids))
	sums := make([]string, len(ids))
	for i, id := range ids {
		m := fmt.Sprintf("m%d", i)
		joins[i] = fmt.Sprintf("LEFT JOIN newsletter_members %s ON %s.subscriber_id = s.id AND %s.newsletter_id = %d AND %s.left_at IS NULL",
			m, m, m, id, m)
		on[i] = m + ".subscriber_id IS NOT NULL"
		sums[i] = "SUM(CASE WHEN " + m + ".subscriber_id IS NULL THEN 0 ELSE 1 END)"
	}
	args := map[string]any{}
	reason := []string{"WHEN s.status = 'blocked' THEN '" + app.SkipBlocked + "'"}
	for _, p := range a.RequiredConsents() {
		skip := app.SkipOptedOut
		if p == app.PurposeCrossBorder {
			skip = app.SkipCrossBorder
		}
		reason = append(reason, "WHEN NOT "+consentFlag(p)+" THEN '"+skip+"'")
	}
	reason = append(reason, "WHEN s.suppressed THEN '"+app.SkipSuppressed+"'")
	q := `SELECT CASE ` + strings.Join(reason, " ") + ` ELSE '' END AS reason, COUNT(*), ` + strings.Join(sums, ", ") + `
		FROM subscribers s ` + strings.Join(joins, " ") + `
		WHERE (` + strings.Join(on, " OR ") + `) AND s.status IN ('active', 'blocked') AND s.email IS NOT NULL
			AND ` + segmentSQL(a.Segment, args, consentFlag) + `
		GROUP BY 1`
	out := &app.AudienceCount{ByNewsletter: map[string]int64{}}
	for _, id := range ids {
		out.ByNewsletter[strconv.FormatInt(id, 10)] = 0
	}
	err := s.countPlan(ctx, func(db *gorm.DB) error {
		rows, err := rawNamed(db, q, args).Rows()
		if err != nil {
			return fmt.Errorf("count audience: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r string
			n := make([]int64, 1+len(ids))
			dest := []any{&r}
			for i := range n {
				dest = append(dest, &n[i])
			}
			if err := rows.Scan(dest...); err != nil {
				return fmt.Errorf("count audience: %w", err)
			}
			addCount(out, r, n[0])
			if r == "" {
				for i, id := range ids {
					out.ByNewsletter[strconv.FormatInt(id, 10)] = n[1+i]
				}
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("count audience: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// rawNamed is db.Raw with named arguments, or none: an empty map would be
// taken for one positional argument.
func rawNamed(db *gorm.DB, q string, args map[string]any) *gorm.DB {
	if len(args) == 0 {
		return db.Raw(q)
	}
	return db.Raw(q, args)
}

// countPlan runs the statement of a count. On PostgreSQL, outside a
// caller's transaction, it runs it in a read-only transaction of its own
// that turns off, for it only, what misleads the planner here. Every
// input of the count is an index already in subscriber order, so merging
// them costs one pass over each, whatever the sizes; the planner would
// rather hash a million rows (spilling to disk under the default
// work_mem) or probe an index once per person (a segment by source: a
// million probes), which it takes for cheaper and which are several times
// slower. A parallel merge would have every worker read the inner inputs
// whole again (on two cores, three times the work). And the JIT
// compilation costs more than it saves here.
func (s *Store) countPlan(ctx context.Context, fn func(db *gorm.DB) error) error {
	if s.dialect != Postgres || s.inTx {
		return fn(s.with(ctx))
	}
	return s.with(ctx).Transaction(func(tx *gorm.DB) error {
		for _, set := range []string{"SET TRANSACTION READ ONLY", "SET LOCAL jit = off", "SET LOCAL enable_hashjoin = off",
			"SET LOCAL enable_nestloop = off", "SET LOCAL max_parallel_workers_per_gather = 0"} {
			if err := tx.Exec(set).Error; err != nil {
				return fmt.Errorf("count audience: %w", err)
			}
		}
		return fn(tx)
	})
}

// addCount counts n people of a count's row by its skip reason.
func addCount(c *app.AudienceCount, reason string, n int64) {
	switch reason {
	case "":
		c.Total += n
	case app.SkipBlocked:
		c.Excluded.Blocked += n
	case app.SkipOptedOut:
		c.Excluded.NoConsent += n
	case app.SkipCrossBorder:
		c.Excluded.NoCrossBorder += n
	case app.SkipSuppressed:
		c.Excluded.Suppressed += n
	}
}
