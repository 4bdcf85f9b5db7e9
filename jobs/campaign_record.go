package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"newsletter/app"
)

// recorder writes delivery results in group commits, with several
// writers: a result waiting to be written goes into the next group, and
// an idle writer takes that group and writes it in one transaction while
// the other writers write theirs. It takes it at once when no commit is
// under way, and beside others only once it holds a quarter of the slots'
// results: every commit costs the database a transaction and a WAL flush,
// and smaller groups beside each other spent the CPU that sending needs.
// A message goes out only with a slot (Acquire), and its slot comes back
// only when its result is committed, so a process never holds more
// messages that the SMTP server accepted and whose rows do not say so yet
// than it has slots: the most a crash can send again. A sender need not
// wait for its previous result before its next message while a slot is
// free; when every slot holds a result not yet committed, sending waits
// for the commits, so a slow database slows sending. Writers working at the same time
// keep that wait to about one commit: a result need not wait for the
// commit under way when it arrives (the store counts messages sent so that
// such commits do not wait for each other).
type recorder struct {
	store   CampaignStore
	log     *slog.Logger
	slots   chan struct{} // one token per message sent or being sent and not yet recorded
	writers int

	mu        sync.Mutex
	open      *resultGroup   // results no writer has taken yet, or nil
	writing   int            // groups being written now
	minGroup  int            // results a group needs to be written beside another
	unwritten []*resultGroup // groups not committed yet, in the order they were opened
	wake      chan struct{}
	stopped   chan struct{} // closed when the recorder stops writing
}

// resultGroup is the results one transaction writes; a sender's ticket
// for Wait.
type resultGroup struct {
	outs []app.DeliveryOutcome
	done chan struct{} // closed once committed
}

// recordWriters is how many group commits a process has under way at
// most.
const recordWriters = 4

func newRecorder(store CampaignStore, log *slog.Logger, slots int) *recorder {
	return &recorder{store: store, log: log, slots: make(chan struct{}, slots), writers: recordWriters,
		minGroup: max(1, slots/4), wake: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// errRecorderStopped is returned after the recorder stopped.
var errRecorderStopped = errors.New("result recorder stopped")

// Acquire takes a slot for one message, waiting while every slot holds a
// message whose result is not yet committed. The slot goes back with
// Release, or with the commit of the result given to Add.
func (r *recorder) Acquire(ctx context.Context) error {
	select {
	case <-r.stopped:
		return errRecorderStopped
	default:
	}
	select {
	case r.slots <- struct{}{}:
		return nil
	case <-r.stopped:
		return errRecorderStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Release gives back a slot whose message has no result to record.
func (r *recorder) Release() { <-r.slots }

// Add queues the result of the message of an acquired slot for writing and
// returns its ticket for Wait; the slot is given back once the result is
// committed.
func (r *recorder) Add(o app.DeliveryOutcome) *resultGroup {
	r.mu.Lock()
	g := r.open
	if g == nil {
		g = &resultGroup{done: make(chan struct{})}
		r.open = g
		r.unwritten = append(r.unwritten, g)
	}
	g.outs = append(g.outs, o)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return g
}

// Wait waits until the result of ticket is written. The nil ticket is
// written from the start.
func (r *recorder) Wait(ctx context.Context, ticket *resultGroup) error {
	if ticket == nil {
		return nil
	}
	select {
	case <-ticket.done:
		return nil
	case <-r.stopped:
		select {
		case <-ticket.done:
			return nil
		default:
			return errRecorderStopped
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sync waits until every result added before the call is written.
func (r *recorder) Sync(ctx context.Context) error {
	r.mu.Lock()
	groups := slices.Clone(r.unwritten)
	r.mu.Unlock()
	for _, g := range groups {
		if err := r.Wait(ctx, g); err != nil {
			return err
		}
	}
	return nil
}

// run writes results until ctx ends, then writes what is left (bounded by
// a few seconds).
func (r *recorder) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range r.writers {
		wg.Go(func() { r.writer(ctx) })
	}
	wg.Wait()
	final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for {
		r.mu.Lock()
		r.open = nil // every group is taken: written below
		var g *resultGroup
		if len(r.unwritten) > 0 {
			g = r.unwritten[0]
		}
		r.mu.Unlock()
		if g == nil || final.Err() != nil {
			break
		}
		if r.write(final, g) != nil {
			time.Sleep(200 * time.Millisecond)
		}
	}
	close(r.stopped)
}

// writer writes one group at a time until ctx ends: the group waiting when
// it is free, retried until it is written. A group that ctx interrupts is
// left to run's final writes.
func (r *recorder) writer(ctx context.Context) {
	for {
		g := r.take()
		if g == nil {
			select {
			case <-r.wake:
				continue
			case <-ctx.Done():
				return
			}
		}
		backoff := 100 * time.Millisecond
		failing := false
		for {
			err := r.write(ctx, g)
			if err == nil {
				r.mu.Lock()
				r.writing--
				r.mu.Unlock()
				if failing {
					r.log.Info("delivery results are written again")
				}
				break
			}
			if ctx.Err() != nil {
				return
			}
			if !failing {
				r.log.Warn("writing delivery results failed; sending waits, retrying", "err", err)
				failing = true
			}
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(backoff*2, 5*time.Second)
		}
	}
}

// take returns the open group, closed to new results, or nil when no
// result waits.
func (r *recorder) take() *resultGroup {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.open
	if g == nil || (r.writing > 0 && len(g.outs) < r.minGroup) {
		return nil
	}
	r.open = nil
	r.writing++
	return g
}

// write commits the results of g in one transaction, gives back their
// slots and then wakes their senders; on failure g stays unwritten.
func (r *recorder) write(ctx context.Context, g *resultGroup) error {
	if err := r.store.RecordDeliveries(ctx, g.outs); err != nil {
		return err
	}
	for range g.outs {
		<-r.slots
	}
	r.mu.Lock()
	if i := slices.Index(r.unwritten, g); i >= 0 {
		r.unwritten = slices.Delete(r.unwritten, i, i+1)
	}
	r.mu.Unlock()
	close(g.done)
	return nil
}

// leaseClock remembers when this process last renewed its claims, so that
// a batch stops sending before its claim could expire.
type leaseClock struct {
	mu      sync.Mutex
	renewed time.Time // start of the last successful renewal
}

func (l *leaseClock) set(t time.Time) {
	l.mu.Lock()
	l.renewed = t
	l.mu.Unlock()
}

// ok reports whether a claim created at claimStart is safely alive: it was
// created or renewed less than half a lease ago.
func (l *leaseClock) ok(claimStart time.Time, lease time.Duration) bool {
	l.mu.Lock()
	last := l.renewed
	l.mu.Unlock()
	if claimStart.After(last) {
		last = claimStart
	}
	return time.Since(last) < lease/2
}

// heartbeat renews this process's claims every Lease/6.
func (r *CampaignRunner) heartbeat(ctx context.Context) {
	t := time.NewTicker(r.opt.Lease / 6)
	defer t.Stop()
	failing := false
	for {
		start := time.Now()
		_, err := r.cfg.Store.RenewDeliveryClaims(ctx, r.owner, r.opt.Lease)
		switch {
		case err == nil:
			r.lease.set(start)
			if failing {
				r.cfg.Log.Info("delivery claims are renewed again")
				failing = false
			}
		case ctx.Err() != nil:
			return
		case !failing:
			r.cfg.Log.Warn("renewing delivery claims failed; sending stops if it keeps failing", "err", err)
			failing = true
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Owners.
//
// A process claims deliveries as "host|scope|pid|random", where scope names
// the machine boot and PID namespace it runs in (Linux). A process that
// finds a claim of another owner in its own scope whose pid is gone, or is
// its own pid, knows that owner died, and takes its claims back without
// waiting for their leases.

// processScope names this boot and PID namespace, or "" when unknown.
func processScope() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + strings.Trim(strings.TrimPrefix(ns, "pid:"), "[]")
}

func newOwner() string {
	host, _ := os.Hostname()
	host = strings.ReplaceAll(host, "|", "_")
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s|%s|%d|%s", host, processScope(), os.Getpid(), hex.EncodeToString(b[:]))
}

// ownerDead reports whether owner is certainly a dead process, judged by
// the process me.
func ownerDead(owner, me string) bool {
	if owner == me {
		return false
	}
	o := strings.Split(owner, "|")
	m := strings.Split(me, "|")
	if len(o) != 4 || len(m) != 4 || m[1] == "" || o[1] != m[1] {
		return false
	}
	if o[2] == m[2] {
		return true // our pid: its previous holder is gone
	}
	pid, err := strconv.Atoi(o[2])
	if err != nil || pid <= 0 {
		return false
	}
	_, err = os.Stat("/proc/" + strconv.Itoa(pid))
	return errors.Is(err, os.ErrNotExist)
}
