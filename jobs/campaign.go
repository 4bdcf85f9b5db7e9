package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"newsletter/app"
	appmail "newsletter/app/mail"
	"newsletter/app/metrics"
)

// Campaign sending.
//
// A marketer's schedule writes the campaign's send time and a new round
// (version) in the database, then enqueues campaign:dispatch for that round
// at that time. The dispatch moves the campaign to running, materializes a
// delivery row per eligible recipient with set-based SQL in chunks, and
// enqueues one campaign:batch per range of delivery ids. A batch claims the
// pending rows of its range a few at a time (eligibility judged again in the
// claim), sends each over a reused SMTP connection, and hands each result to
// the process's recorder, which writes them in group commits.
//
// Sending guarantees. A delivery row is the truth: a row is sent by the one
// batch whose claim holds it, and a claim lives only while its worker renews
// its lease. A crash, a retried task, a pause and resume, or a second worker
// never sends a row that is recorded as sent, and never leaves a row
// unsent: rows of a dead worker's claim are taken over when its lease runs
// out (at once when the worker restarts on the same machine). What remains
// is the window between the SMTP server's "250 OK" for a message and the
// commit of its row: a worker killed inside it sends those messages again.
// That window is bounded by count: a message goes out only with one of
// the process's Senders slots, given back when its result is committed (in
// a group commit with the results of the other batches; several group
// commits may be under way at once); a batch sends its next message while
// its previous result commits only with a slot free. So a killed process
// sends at most Senders messages again (its task handlers), however slow
// its database was; a slow database slows sending instead. A message sent
// again keeps its Message-ID, which lets receiving systems drop the copy.
// A graceful stop (SIGTERM) leaves no window: sending stops and every
// result is written first.

// Campaign task types.
const (
	TypeCampaignDispatch = "campaign:dispatch"
	TypeCampaignBatch    = "campaign:batch"
)

// CampaignDispatchPayload names one dispatch round of a campaign.
type CampaignDispatchPayload struct {
	CampaignID int64 `json:"campaign_id"`
	Version    int64 `json:"version"`
}

// CampaignBatchPayload names a range of a campaign's deliveries. Seq counts
// the follow-ups of a range that waits for deferred retries.
type CampaignBatchPayload struct {
	CampaignID int64 `json:"campaign_id"`
	Version    int64 `json:"version"`
	Lo         int64 `json:"lo"`
	Hi         int64 `json:"hi"`
	Seq        int   `json:"seq"`
}

// NewCampaignDispatchTask returns the dispatch task of a round; its task id
// makes enqueueing the same round twice harmless.
func NewCampaignDispatchTask(p CampaignDispatchPayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", TypeCampaignDispatch, err)
	}
	return asynq.NewTask(TypeCampaignDispatch, b, asynq.Queue(QueueBulk), asynq.MaxRetry(25), asynq.Timeout(time.Hour),
		asynq.TaskID(dispatchTaskID(p))), nil
}

// NewCampaignBatchTask returns the task that sends a range of deliveries.
func NewCampaignBatchTask(p CampaignBatchPayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", TypeCampaignBatch, err)
	}
	return asynq.NewTask(TypeCampaignBatch, b, asynq.Queue(QueueBulk), asynq.MaxRetry(25), asynq.Timeout(time.Hour),
		asynq.TaskID(batchTaskID(p))), nil
}

// CampaignEnqueuer puts campaign tasks on the queue. It implements
// app.CampaignQueue.
type CampaignEnqueuer struct {
	Client *asynq.Client
	// Inspector, when set, lets a task id held by a finished or archived
	// task (one that failed for good) be used again; without it such a
	// round waits for the reconciliation to start a new one.
	Inspector *asynq.Inspector
}

// EnqueueDispatch enqueues round version of a campaign's dispatch for at; a
// round already queued is left as it is.
func (e *CampaignEnqueuer) EnqueueDispatch(ctx context.Context, campaignID, version int64, at time.Time) error {
	p := CampaignDispatchPayload{CampaignID: campaignID, Version: version}
	t, err := NewCampaignDispatchTask(p)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, t, dispatchTaskID(p), at)
}

func (e *CampaignEnqueuer) enqueueBatch(ctx context.Context, p CampaignBatchPayload, at time.Time) error {
	t, err := NewCampaignBatchTask(p)
	if err != nil {
		return err
	}
	return e.enqueue(ctx, t, batchTaskID(p), at)
}

func (e *CampaignEnqueuer) enqueue(ctx context.Context, t *asynq.Task, id string, at time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var opts []asynq.Option
	if time.Until(at) > 0 {
		opts = append(opts, asynq.ProcessAt(at))
	}
	_, err := e.Client.EnqueueContext(ctx, t, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) && e.Inspector != nil {
		// The id is taken: by a task waiting or running (fine), or by one
		// kept after it finished or failed for good, which would block
		// this round forever. Replace the latter.
		info, ierr := e.Inspector.GetTaskInfo(QueueBulk, id)
		if ierr == nil && (info.State == asynq.TaskStateArchived || info.State == asynq.TaskStateCompleted) {
			if derr := e.Inspector.DeleteTask(QueueBulk, id); derr == nil {
				_, err = e.Client.EnqueueContext(ctx, t, opts...)
			}
		}
	}
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return nil
}

// dispatchTaskID names a round's dispatch task: one per round.
func dispatchTaskID(p CampaignDispatchPayload) string {
	return fmt.Sprintf("%s:%d:%d", TypeCampaignDispatch, p.CampaignID, p.Version)
}

// batchTaskID names a batch task: one per round, range and follow-up.
func batchTaskID(p CampaignBatchPayload) string {
	return fmt.Sprintf("%s:%d:%d:%d:%d", TypeCampaignBatch, p.CampaignID, p.Version, p.Lo, p.Seq)
}

// CampaignStore is what campaign sending needs from the database.
type CampaignStore interface {
	Campaign(ctx context.Context, id int64) (*app.Campaign, error)
	StartCampaign(ctx context.Context, id, version int64, at time.Time) (bool, error)
	BeginMaterialization(ctx context.Context, id int64) (from, maxID int64, err error)
	MaterializeDeliveries(ctx context.Context, id int64, a app.Audience, from, to int64) (int64, error)
	FinishMaterialization(ctx context.Context, id int64) error
	DeliveryRanges(ctx context.Context, id int64, size int64) ([]app.DeliveryRange, error)
	LastDeliveryID(ctx context.Context, campaignID int64) (int64, error)
	CreateDeliveryClaim(ctx context.Context, campaignID int64, owner string, lease time.Duration) (int64, error)
	RenewDeliveryClaims(ctx context.Context, owner string, lease time.Duration) (int64, error)
	ReleaseDeliveryClaim(ctx context.Context, claimID int64) (int64, error)
	PurgeDeliveryClaims(ctx context.Context, cutoff time.Time) (int64, error)
	DeliveryClaimOwners(ctx context.Context) ([]string, error)
	ExpireDeliveryClaims(ctx context.Context, owner string) ([]int64, error)
	ClaimDeliveries(ctx context.Context, r app.ClaimRequest) ([]app.Recipient, error)
	RecordDeliveries(ctx context.Context, outs []app.DeliveryOutcome) error
	NextRetryAt(ctx context.Context, campaignID, lo, hi int64) (*time.Time, error)
	FinishCampaignIfDone(ctx context.Context, id int64) (bool, error)
	DueCampaigns(ctx context.Context, at time.Time) ([]app.CampaignRound, error)
	StalledCampaigns(ctx context.Context, quiet time.Duration) ([]app.CampaignRound, error)
	BumpCampaignVersion(ctx context.Context, id, version int64) (bool, error)
	RegisterCampaignLinks(ctx context.Context, campaignID int64, urls []string) error
}

// CampaignOptions tune campaign sending; zero values take the defaults.
type CampaignOptions struct {
	// BatchSize is the number of delivery ids per batch task (1000).
	BatchSize int64
	// ClaimSize is the number of deliveries a batch claims at once (100):
	// the most one worker sends after a pause, and the most whose
	// eligibility is judged before their send.
	ClaimSize int
	// ChunkSize is the number of subscriber ids per materialization
	// statement (50000).
	ChunkSize int64
	// Lease is how long a claim lives without renewal (30s). A worker
	// renews its claims every Lease/6 and stops sending when it could not
	// for Lease/2, so the SMTP timeout must stay under Lease/2.
	Lease time.Duration
	// Reconcile is the period of the reconciliation (5s).
	Reconcile time.Duration
	// Quiet is how long a running campaign may show no progress, with no
	// live claim, before the reconciliation starts a new round (Lease).
	Quiet time.Duration
	// RetryBase is the delay after a first 4xx answer (1m); it doubles
	// with each attempt up to RetryMax (1h).
	RetryBase time.Duration
	RetryMax  time.Duration
	// MaxAttempts is the number of attempts after which a delivery that
	// keeps getting 4xx answers fails (8).
	MaxAttempts int
	// Senders is the most messages this process has sent, or is sending,
	// whose results are not yet committed (10): the most a crash sends
	// again. Give it the number of task handlers (NEWSLETTER_WORKERS): the
	// batches under way share the slots, so fewer batches than handlers
	// (a campaign's last ranges) still send as fast as the slots allow.
	Senders int
	// RecoverOnStart starts a new round of every running campaign at
	// start: the embedded queue forgets its tasks on restart.
	RecoverOnStart bool
}

func (o *CampaignOptions) defaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.ClaimSize <= 0 {
		o.ClaimSize = 100
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 50000
	}
	def(&o.Lease, 30*time.Second)
	def(&o.Reconcile, 5*time.Second)
	def(&o.Quiet, o.Lease)
	def(&o.RetryBase, time.Minute)
	def(&o.RetryMax, time.Hour)
	if o.Senders <= 0 {
		o.Senders = 10
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
}

// CampaignConfig is what a CampaignRunner is made of.
type CampaignConfig struct {
	Store     CampaignStore
	Queue     *CampaignEnqueuer
	Transport appmail.Transport
	Links     *app.Links
	Signer    *app.Signer
	Operator  app.Operator
	// From is the sender of campaign mail (MAIL_FROM).
	From string
	// ReturnPath, when set (MAIL_RETURN_PATH), makes each message's
	// envelope sender name its delivery (VERP): the local part, "+", the
	// delivery reference, at its domain. Bounces then reach that mailbox
	// with the reference in their address.
	ReturnPath string
	// RefHeaders, when set, gives the extra headers that make the mail
	// provider echo a message's delivery reference in its events
	// (feedback.EchoHeaders).
	RefHeaders func(ref string) map[string]string
	Metrics    *metrics.Metrics
	Log        *slog.Logger
	Options    CampaignOptions
	// Layout writes campaign mail in the mail layout (templates.Renderer);
	// Layouts reads the owner's settings of each language (app.Layouts).
	// Either nil: the content goes out bare, with its footer.
	Layout  app.LayoutRenderer
	Layouts func(ctx context.Context) (app.MailLayouts, error)
}

// CampaignRunner dispatches and sends campaigns: it handles the campaign
// tasks, and its Run keeps the claims' leases alive, records results and
// reconciles campaigns with the queue. It also sends test messages
// (app.CampaignTester).
type CampaignRunner struct {
	cfg      CampaignConfig
	opt      CampaignOptions
	owner    string
	domain   string
	idSalt   string
	listHost string
	rec      *recorder
	lease    *leaseClock

	tmplMu sync.Mutex
	tmpl   map[int64]cachedTemplate
}

type cachedTemplate struct {
	updated time.Time // of the campaign, or of a layout when later
	tpl     *app.CampaignTemplate
}

// NewCampaignRunner checks cfg and returns a runner.
func NewCampaignRunner(cfg CampaignConfig) (*CampaignRunner, error) {
	if cfg.Store == nil || cfg.Queue == nil || cfg.Transport == nil || cfg.Links == nil || cfg.Signer == nil || cfg.Log == nil {
		return nil, errors.New("campaign runner: store, queue, transport, links, signer and log are required")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("campaign runner: sender address: %w", err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	r := &CampaignRunner{cfg: cfg, opt: cfg.Options, domain: domain, tmpl: map[int64]cachedTemplate{}}
	r.opt.defaults()
	r.owner = newOwner()
	// Message-IDs of campaign messages are the delivery reference at the
	// sender's domain (app.DeliveryRef). Those of test messages are
	// t<random>.c<campaign>.<salt>@domain: the salt, a keyed hash, keeps
	// two installations with one domain apart.
	r.idSalt = cfg.Signer.KeyedHash("message-id salt")[:10]
	r.listHost = cfg.Links.Base.Hostname()
	if !strings.Contains(r.listHost, ".") {
		r.listHost += ".invalid"
	}
	r.rec = newRecorder(cfg.Store, cfg.Log, r.opt.Senders)
	r.lease = &leaseClock{}
	return r, nil
}

// Owner is the name under which this process claims deliveries.
func (r *CampaignRunner) Owner() string { return r.owner }

// Handlers returns the task handlers of campaigns.
func (r *CampaignRunner) Handlers() []Handler {
	return []Handler{dispatchHandler{r}, batchHandler{r}}
}

// Run keeps claims alive, records results and reconciles until ctx ends,
// then writes the results still waiting.
func (r *CampaignRunner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { r.rec.run(ctx) })
	wg.Go(func() { r.heartbeat(ctx) })
	r.recoverAtStart(ctx)
	wg.Go(func() { r.reconcileLoop(ctx) })
	wg.Wait()
}

// template returns the compiled template of a campaign, cached while
// neither the campaign nor the mail layout changes.
func (r *CampaignRunner) template(ctx context.Context, c *app.Campaign) (*app.CampaignTemplate, error) {
	frame := app.Frame{Layout: r.cfg.Layout}
	updated := c.UpdatedAt
	if r.cfg.Layouts != nil && r.cfg.Layout != nil {
		ls, err := r.cfg.Layouts(ctx)
		if err != nil {
			return nil, fmt.Errorf("campaign %d mail layout: %w", c.ID, err)
		}
		frame.Settings = ls
		for _, l := range ls {
			if l.UpdatedAt.After(updated) {
				updated = l.UpdatedAt
			}
		}
	}
	r.tmplMu.Lock()
	defer r.tmplMu.Unlock()
	if ct, ok := r.tmpl[c.ID]; ok && ct.updated.Equal(updated) {
		return ct.tpl, nil
	}
	tpl, err := r.compile(ctx, c, frame)
	if err != nil {
		return nil, err
	}
	tpl.SetPrivacyURL(r.cfg.Links.Page("/privacy"))
	if len(r.tmpl) >= 32 {
		clear(r.tmpl)
	}
	r.tmpl[c.ID] = cachedTemplate{updated: updated, tpl: tpl}
	return tpl, nil
}

// dispatchHandler handles campaign:dispatch.
type dispatchHandler struct{ r *CampaignRunner }

// Type is the task type handled.
func (dispatchHandler) Type() string { return TypeCampaignDispatch }

// ProcessTask runs one dispatch round.
func (h dispatchHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p CampaignDispatchPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return h.r.dispatch(ctx, p)
}

// batchHandler handles campaign:batch.
type batchHandler struct{ r *CampaignRunner }

// Type is the task type handled.
func (batchHandler) Type() string { return TypeCampaignBatch }

// ProcessTask sends one range of deliveries.
func (h batchHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p CampaignBatchPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return h.r.batch(ctx, p)
}
