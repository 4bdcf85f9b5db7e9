package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"newsletter/app"
)

// recorder writes delivery results in group commits: one transaction at a
// time, each with every result that arrived while the previous one was
// being written. A sender does not start its next message before the
// result of its previous one is committed (Add, then Wait), so a process
// never holds more messages that the SMTP server accepted and whose rows
// do not say so yet than it has senders: the most a crash can send again.
// Slots enforce that bound for the whole process, whatever the senders do
// (a sender that gives up waiting keeps its slot taken until its result is
// written). When the database is slow, sending waits for it.
type recorder struct {
	store CampaignStore
	log   *slog.Logger
	slots chan struct{} // one token per message sent or being sent and not yet recorded

	mu      sync.Mutex
	pending []app.DeliveryOutcome
	added   uint64        // results added so far
	written uint64        // results written so far, in the order added
	done    chan struct{} // closed and replaced after each write
	wake    chan struct{}
	stopped chan struct{} // closed when the recorder stops writing
}

func newRecorder(store CampaignStore, log *slog.Logger, slots int) *recorder {
	return &recorder{store: store, log: log, slots: make(chan struct{}, slots), done: make(chan struct{}),
		wake: make(chan struct{}, 1), stopped: make(chan struct{})}
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
func (r *recorder) Add(o app.DeliveryOutcome) uint64 {
	r.mu.Lock()
	r.pending = append(r.pending, o)
	r.added++
	ticket := r.added
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return ticket
}

// Wait waits until the result of ticket, and every result added before
// it, is written. The zero ticket is written from the start.
func (r *recorder) Wait(ctx context.Context, ticket uint64) error {
	r.mu.Lock()
	for r.written < ticket {
		done := r.done
		r.mu.Unlock()
		select {
		case <-done:
		case <-r.stopped:
			r.mu.Lock()
			ok := r.written >= ticket
			r.mu.Unlock()
			if ok {
				return nil
			}
			return errRecorderStopped
		case <-ctx.Done():
			return ctx.Err()
		}
		r.mu.Lock()
	}
	r.mu.Unlock()
	return nil
}

// Sync waits until every result added before the call is written.
func (r *recorder) Sync(ctx context.Context) error {
	r.mu.Lock()
	target := r.added
	r.mu.Unlock()
	return r.Wait(ctx, target)
}

// run writes results until ctx ends, then writes what is left (bounded by
// a few seconds). A write starts as soon as a result waits and the
// previous write is over: results that arrive meanwhile share the next
// transaction.
func (r *recorder) run(ctx context.Context) {
	backoff := 100 * time.Millisecond
	failing := false
	for {
		select {
		case <-r.wake:
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			for final.Err() == nil && r.flush(final) != nil {
				time.Sleep(200 * time.Millisecond)
			}
			cancel()
			close(r.stopped)
			return
		}
		for {
			err := r.flush(ctx)
			if err == nil {
				if failing {
					r.log.Info("delivery results are written again")
					failing = false
				}
				backoff = 100 * time.Millisecond
				break
			}
			if ctx.Err() != nil {
				break
			}
			if !failing {
				r.log.Warn("writing delivery results failed; sending waits, retrying", "err", err)
				failing = true
			}
			time.Sleep(backoff)
			backoff = min(backoff*2, 5*time.Second)
		}
	}
}

// flush writes everything pending in one transaction and gives back the
// slots of what it wrote; on failure the results stay pending.
func (r *recorder) flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := r.store.RecordDeliveries(ctx, batch); err != nil {
		return err
	}
	for range batch {
		<-r.slots
	}
	r.mu.Lock()
	r.pending = append(r.pending[:0:0], r.pending[len(batch):]...)
	r.written += uint64(len(batch))
	close(r.done)
	r.done = make(chan struct{})
	more := len(r.pending) > 0
	r.mu.Unlock()
	if more {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
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
