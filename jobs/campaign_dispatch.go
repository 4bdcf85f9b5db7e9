package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
)

// dispatch runs one round of a campaign: it starts a scheduled campaign
// whose time has come, materializes its deliveries (resuming where an
// earlier attempt stopped) and enqueues a batch per range of deliveries
// still to send. Every step is idempotent, so a retried or duplicated
// dispatch does no harm; an outdated round does nothing.
func (r *CampaignRunner) dispatch(ctx context.Context, p CampaignDispatchPayload) error {
	c, err := r.cfg.Store.Campaign(ctx, p.CampaignID)
	if app.IsNotFound(err) {
		return fmt.Errorf("dispatch campaign %d: %v: %w", p.CampaignID, err, asynq.SkipRetry)
	}
	if err != nil {
		return fmt.Errorf("dispatch campaign %d: %w", p.CampaignID, err)
	}
	if c.Version != p.Version {
		return nil // rescheduled, paused, resumed or recovered since
	}
	switch c.Status {
	case app.CampaignScheduled:
		// The queue runs delayed tasks up to a second late or early; the
		// reconciliation enqueues a round again once it is due.
		ok, err := r.cfg.Store.StartCampaign(ctx, c.ID, c.Version, time.Now().Add(time.Second))
		if err != nil {
			return fmt.Errorf("dispatch campaign %d: %w", c.ID, err)
		}
		if !ok {
			return nil
		}
		r.cfg.Log.Info("campaign started", "campaign_id", c.ID)
	case app.CampaignRunning:
	default:
		return nil
	}
	if c.MaterializedAt == nil {
		if err := r.materialize(ctx, c); err != nil {
			return err
		}
	}
	ranges, err := r.cfg.Store.DeliveryRanges(ctx, c.ID, r.opt.BatchSize)
	if err != nil {
		return fmt.Errorf("dispatch campaign %d: %w", c.ID, err)
	}
	now := time.Now()
	for _, rg := range ranges {
		// Seq 1: ranges enqueued during materialization (seq 0) may be
		// running still and may have missed rows added after they began.
		p := CampaignBatchPayload{CampaignID: c.ID, Version: c.Version, Lo: rg.Lo, Hi: rg.Hi, Seq: 1}
		if err := r.cfg.Queue.enqueueBatch(ctx, p, now); err != nil {
			return fmt.Errorf("dispatch campaign %d: %w", c.ID, err)
		}
	}
	if len(ranges) == 0 {
		if done, err := r.cfg.Store.FinishCampaignIfDone(ctx, c.ID); err != nil {
			return fmt.Errorf("dispatch campaign %d: %w", c.ID, err)
		} else if done {
			r.cfg.Log.Info("campaign finished", "campaign_id", c.ID)
		}
	}
	return nil
}

// materialize writes the delivery rows of a campaign in chunks of
// subscriber ids, each chunk one INSERT ... SELECT committed with the
// campaign's cursor, so a crash resumes at the next chunk. Sending starts
// while it goes on: after each chunk, the ranges of delivery ids that no
// later chunk can add to get their batch tasks. (Ids only grow, so only
// the range of the newest row can still change; the dispatch enqueues
// every open range again at the end.)
func (r *CampaignRunner) materialize(ctx context.Context, c *app.Campaign) error {
	start := time.Now()
	from, maxID, err := r.cfg.Store.BeginMaterialization(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("materialize campaign %d: %w", c.ID, err)
	}
	a := app.AudienceOf(c, r.cfg.Operator)
	var total int64
	nextRange := int64(-1) // first range not yet enqueued
	for lo := from; lo <= maxID; lo += r.opt.ChunkSize {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("materialize campaign %d: %w", c.ID, err)
		}
		n, err := r.cfg.Store.MaterializeDeliveries(ctx, c.ID, a, lo, min(lo+r.opt.ChunkSize, maxID+1))
		if err != nil {
			return fmt.Errorf("materialize campaign %d: %w", c.ID, err)
		}
		total += n
		if lo+r.opt.ChunkSize > maxID {
			break // the last chunk: the dispatch enqueues the rest
		}
		if nextRange, err = r.enqueueSettled(ctx, c, nextRange); err != nil {
			return err
		}
	}
	if err := r.cfg.Store.FinishMaterialization(ctx, c.ID); err != nil {
		return fmt.Errorf("materialize campaign %d: %w", c.ID, err)
	}
	r.cfg.Log.Info("campaign materialized", "campaign_id", c.ID, "deliveries", total, "ms", time.Since(start).Milliseconds())
	return nil
}

// enqueueSettled enqueues the batches of the ranges from next up to the
// one before the range of the newest delivery, and returns the first range
// it left.
func (r *CampaignRunner) enqueueSettled(ctx context.Context, c *app.Campaign, next int64) (int64, error) {
	last, err := r.cfg.Store.LastDeliveryID(ctx, c.ID)
	if err != nil || last == 0 {
		return next, err
	}
	size := r.opt.BatchSize
	upto := last / size // the newest row's range: may still grow
	if next < 0 {
		ranges, err := r.cfg.Store.DeliveryRanges(ctx, c.ID, size)
		if err != nil || len(ranges) == 0 {
			return next, err
		}
		next = ranges[0].Lo / size
	}
	now := time.Now()
	for b := next; b < upto; b++ {
		p := CampaignBatchPayload{CampaignID: c.ID, Version: c.Version, Lo: b * size, Hi: (b+1)*size - 1}
		if err := r.cfg.Queue.enqueueBatch(ctx, p, now); err != nil {
			return next, fmt.Errorf("materialize campaign %d: %w", c.ID, err)
		}
	}
	return max(next, upto), nil
}

// reconcileLoop runs the reconciliation every Reconcile period.
func (r *CampaignRunner) reconcileLoop(ctx context.Context) {
	t := time.NewTicker(r.opt.Reconcile)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := r.Reconcile(ctx, r.opt.Quiet)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			r.cfg.Log.Warn("campaign reconciliation failed", "err", err)
			failing = true
		case err == nil && failing:
			r.cfg.Log.Info("campaign reconciliation works again")
			failing = false
		}
	}
}

// Reconcile makes the queue agree with the database, which is the truth:
// it enqueues the dispatch of scheduled campaigns whose time has come (the
// embedded queue forgets delayed tasks on restart; with several workers the
// task id and the conditional start make it run once), and starts a new
// round for running campaigns that stalled (a dead worker's claim, a lost
// task) or are done but not yet marked finished. quiet is how long a
// running campaign may show no progress before it counts as stalled.
func (r *CampaignRunner) Reconcile(ctx context.Context, quiet time.Duration) error {
	now := time.Now()
	due, err := r.cfg.Store.DueCampaigns(ctx, now)
	if err != nil {
		return err
	}
	for _, c := range due {
		if err := r.cfg.Queue.EnqueueDispatch(ctx, c.ID, c.Version, now); err != nil {
			return err
		}
	}
	stalled, err := r.cfg.Store.StalledCampaigns(ctx, quiet)
	if err != nil {
		return err
	}
	for _, c := range stalled {
		if err := r.newRound(ctx, c); err != nil {
			return err
		}
	}
	if _, err := r.cfg.Store.PurgeDeliveryClaims(ctx, now.Add(-r.opt.Lease)); err != nil {
		return err
	}
	return nil
}

// newRound starts round c.Version+1 of a running campaign, unless another
// process started one first.
func (r *CampaignRunner) newRound(ctx context.Context, c app.CampaignRound) error {
	ok, err := r.cfg.Store.BumpCampaignVersion(ctx, c.ID, c.Version)
	if err != nil || !ok {
		return err
	}
	r.cfg.Log.Info("campaign round started", "campaign_id", c.ID, "version", c.Version+1)
	return r.cfg.Queue.EnqueueDispatch(ctx, c.ID, c.Version+1, time.Now())
}

// recoverAtStart takes back at once the claims of dead processes that ran
// on this machine (a worker restarted after a crash need not wait for their
// leases), and with the embedded queue, whose tasks did not survive the
// restart, starts a new round of every running campaign.
func (r *CampaignRunner) recoverAtStart(ctx context.Context) {
	owners, err := r.cfg.Store.DeliveryClaimOwners(ctx)
	if err != nil {
		r.cfg.Log.Warn("campaign recovery: list claims", "err", err)
		return
	}
	campaigns := map[int64]bool{}
	for _, o := range owners {
		if !ownerDead(o, r.owner) {
			continue
		}
		ids, err := r.cfg.Store.ExpireDeliveryClaims(ctx, o)
		if err != nil {
			r.cfg.Log.Warn("campaign recovery: expire claims", "err", err)
			return
		}
		for _, id := range ids {
			campaigns[id] = true
		}
	}
	for id := range campaigns {
		c, err := r.cfg.Store.Campaign(ctx, id)
		if err != nil {
			r.cfg.Log.Warn("campaign recovery", "campaign_id", id, "err", err)
			continue
		}
		if c.Status != app.CampaignRunning {
			continue
		}
		if err := r.newRound(ctx, app.CampaignRound{ID: c.ID, Version: c.Version}); err != nil {
			r.cfg.Log.Warn("campaign recovery", "campaign_id", id, "err", err)
		}
	}
	if r.opt.RecoverOnStart {
		if err := r.Reconcile(ctx, 0); err != nil {
			r.cfg.Log.Warn("campaign recovery", "err", err)
		}
	}
}
