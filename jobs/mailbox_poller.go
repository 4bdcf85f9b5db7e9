package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"newsletter/app"
	"newsletter/app/inbound"
)

// MailboxReceiver stores a raw emailed request and asks for its processing.
type MailboxReceiver interface {
	ReceiveInbound(ctx context.Context, raw []byte, src app.InboundSource) (int64, bool, error)
}

// LeaseStore hands out leases, so one process at a time reads a mailbox.
type LeaseStore interface {
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, owner string) error
	// LeaseHolder names the holder of a lease, expired or not ("" for none).
	LeaseHolder(ctx context.Context, name string) (string, error)
	// TakeOverLease gives the lease to owner if from still holds it.
	TakeOverLease(ctx context.Context, name, from, owner string, ttl time.Duration) (bool, error)
}

// Defaults of MailboxPoller.
const (
	DefaultProcessedFolder   = "Processed"
	DefaultUnprocessedFolder = "Unprocessed"
	defaultPollWait          = 10 * time.Second
	defaultLeaseTTL          = 30 * time.Second
	defaultPollBatch         = 50
	maxPollBackoff           = time.Minute
)

// MailboxPoller reads the IMAP mailbox that receives emailed requests: it
// stores each message in the database (with its processing task, through
// the outbox) and only then moves it to the processed folder, so the
// mailbox is never the only copy of an unprocessed request. It waits for
// new mail with IDLE where the server has it, else polls.
//
// Each message is processed once across restarts and machines: the
// database keeps one row per Message-ID, so a message stored before a crash
// and fetched again is only moved; and a lease in the database lets one
// process at a time read the mailbox (the others wait to take over; a lease
// whose holder is certainly dead, such as the process this one replaced,
// is taken over at once).
type MailboxPoller struct {
	// URL is IMAP_URL.
	URL string
	// ProcessedFolder is where processed mail goes, created if missing;
	// default DefaultProcessedFolder.
	ProcessedFolder string
	// UnprocessedFolder is where a message that can never be stored (empty,
	// or larger than app.MaxInboundBytes) goes, for a person to read;
	// default DefaultUnprocessedFolder.
	UnprocessedFolder string
	Receiver          MailboxReceiver
	Leases            LeaseStore
	Log               *slog.Logger
	// Wait is the longest wait for new mail before looking again (IDLE
	// or polling); default 10s, at most a third of LeaseTTL.
	Wait time.Duration
	// LeaseTTL is how long the lease lasts without renewal; default 30s.
	LeaseTTL time.Duration
	// Owner names this process in the lease; default host, PID namespace,
	// pid and a random part (as campaign claims do), which lets a
	// successor on the same machine see that the holder died.
	Owner string
	// Batch is how many messages one round reads; default 50.
	Batch int
}

func (p *MailboxPoller) defaults() {
	if p.ProcessedFolder == "" {
		p.ProcessedFolder = DefaultProcessedFolder
	}
	if p.UnprocessedFolder == "" {
		p.UnprocessedFolder = DefaultUnprocessedFolder
	}
	if p.LeaseTTL <= 0 {
		p.LeaseTTL = defaultLeaseTTL
	}
	if p.Wait <= 0 {
		p.Wait = defaultPollWait
	}
	p.Wait = min(p.Wait, p.LeaseTTL/3)
	if p.Batch <= 0 {
		p.Batch = defaultPollBatch
	}
	if p.Owner == "" {
		p.Owner = newOwner()
	}
}

// MailboxLeaseName names the lease of the mailbox at url, without revealing
// it: one per mailbox (host, port, user and folder, see
// inbound.MailboxIdentity), however the URL spells it and whatever its
// password, so two spellings of one mailbox, or workers that a password
// rotation reaches one by one, still read it one at a time.
func MailboxLeaseName(url string) string {
	id, err := inbound.MailboxIdentity(url)
	if err != nil {
		id = url // never dialed: no mailbox to share
	}
	sum := sha256.Sum256([]byte(id))
	return "imap:" + hex.EncodeToString(sum[:8])
}

// Run reads the mailbox until ctx ends. Failures (server down, login
// refused, database unreachable) are logged and retried with backoff.
func (p *MailboxPoller) Run(ctx context.Context) {
	p.defaults()
	name := MailboxLeaseName(p.URL)
	var mb *inbound.Mailbox
	closeMailbox := func() {
		if mb != nil {
			mb.Close()
			mb = nil
		}
	}
	defer func() {
		closeMailbox()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := p.Leases.ReleaseLease(rctx, name, p.Owner); err != nil {
			p.Log.Warn("mailbox: release lease", "err", err)
		}
	}()
	backoff := time.Second
	var downSince time.Time // when the mailbox became unreachable
	failed := func(what string, err error) {
		closeMailbox()
		if what != "lease" && downSince.IsZero() {
			downSince = time.Now()
		}
		p.Log.Warn("mailbox: "+what, "err", err, "retry_in", backoff)
		pollerPause(ctx, backoff)
		backoff = min(backoff*2, maxPollBackoff)
	}
	leader := false
	for ctx.Err() == nil {
		held, err := p.Leases.AcquireLease(ctx, name, p.Owner, p.LeaseTTL)
		if err == nil && !held {
			held, err = p.takeOverDead(ctx, name)
		}
		if err != nil {
			if ctx.Err() == nil {
				failed("lease", err)
			}
			continue
		}
		if !held {
			if leader {
				p.Log.Info("mailbox: another process reads the mailbox now")
				leader = false
			}
			closeMailbox()
			pollerPause(ctx, p.LeaseTTL/3)
			continue
		}
		if !leader {
			p.Log.Info("mailbox: reading the mailbox", "owner", p.Owner)
			leader = true
		}
		if mb == nil {
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			mb, err = inbound.DialMailbox(dctx, p.URL)
			cancel()
			if err != nil {
				if ctx.Err() == nil {
					failed("connect", err)
				}
				continue
			}
		}
		n, err := p.pollOnce(ctx, mb)
		if err != nil {
			if ctx.Err() == nil {
				failed("read", err)
			}
			continue
		}
		backoff = time.Second
		if !downSince.IsZero() {
			p.Log.Info("mailbox: reachable again", "down_for", time.Since(downSince).Round(time.Second))
			downSince = time.Time{}
		}
		if n == p.Batch {
			continue // more waiting
		}
		if err := mb.Wait(ctx, p.Wait); err != nil && ctx.Err() == nil {
			failed("wait", err)
		}
	}
}

// takeOverDead takes the lease name from its holder when that holder is
// certainly a dead process (ownerDead: one of this machine and PID
// namespace whose pid is gone, or is this process's own pid, as after a
// restart in a container), instead of waiting for its lease to lapse.
func (p *MailboxPoller) takeOverDead(ctx context.Context, name string) (bool, error) {
	holder, err := p.Leases.LeaseHolder(ctx, name)
	if err != nil || holder == "" || !ownerDead(holder, p.Owner) {
		return false, err
	}
	took, err := p.Leases.TakeOverLease(ctx, name, holder, p.Owner, p.LeaseTTL)
	if took {
		p.Log.Info("mailbox: took over the lease of a process that is gone")
	}
	return took, err
}

// pollOnce stores up to Batch messages and moves each stored one to the
// processed folder; it returns how many it read.
func (p *MailboxPoller) pollOnce(ctx context.Context, mb *inbound.Mailbox) (int, error) {
	msgs, err := mb.Fetch(ctx, p.Batch)
	if err != nil {
		return 0, err
	}
	for _, f := range msgs {
		id, created, err := p.Receiver.ReceiveInbound(ctx, f.Raw, app.InboundSource{Source: app.InboundIMAP,
			UIDValidity: mb.UIDValidity(), UID: f.UID, ReceivedAt: f.Received})
		folder := p.ProcessedFolder
		if app.ErrorCode(err) == app.EINVALID {
			// Empty or oversized: it can never be stored. It goes out of
			// the way, to a folder a person reads.
			p.Log.Warn("mailbox: message cannot be stored", "uid", f.UID, "err", err, "folder", p.UnprocessedFolder)
			folder = p.UnprocessedFolder
		} else if err != nil {
			return 0, fmt.Errorf("store message: %w", err)
		}
		if err := mb.Move(ctx, f.UID, folder); err != nil {
			return 0, err
		}
		p.Log.Debug("mailbox: message stored", "uid", f.UID, "inbound_id", id, "new", created)
	}
	return len(msgs), nil
}

// pollerPause waits d or until ctx ends.
func pollerPause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
