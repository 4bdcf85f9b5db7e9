package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"newsletter/app"
	"newsletter/app/config"
	"newsletter/app/mail"
	"newsletter/app/metrics"
	"newsletter/app/sso"
	"newsletter/app/store"
	"newsletter/app/webhook"
	"newsletter/jobs"
	"newsletter/templates"
	"newsletter/web"
)

// system is every part of one process, wired together.
type system struct {
	cfg       *config.Config
	log       *slog.Logger
	store     *store.Store
	queue     *jobs.Queue
	metrics   *metrics.Metrics
	signer    *app.Signer
	links     *app.Links
	svc       *app.Subscriptions
	layouts   *app.Layouts
	privacy   *app.Privacy
	register  *app.Register
	inbound   *app.Inbound
	feedback  *app.Feedback
	retention *app.Retention
	admins    *app.Admins
	pages     *templates.Renderer
	transport mail.Transport
	relay     *jobs.Relay
	hooks     *app.Webhooks
}

// defaultPolicyVersion names the built-in policy on a new installation.
const defaultPolicyVersion = "2026-11"

// build opens the database (migrating it) and the queue, and wires the
// use cases. The caller must call close.
func build(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *system, err error) {
	s := &system{cfg: cfg, log: log, metrics: metrics.New()}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if cfg.Embedded() || cfg.SMTPURL == "" {
		if err := ensureDataDir(cfg); err != nil {
			return nil, err
		}
		warnOpenDataDir(cfg.DataDir, log)
	}
	if err := cfg.EnsureSecret(); err != nil {
		return nil, err
	}
	if s.signer, err = app.NewSigner(cfg.Secrets...); err != nil {
		return nil, &config.Error{Var: "NEWSLETTER_SECRET", Reason: err.Error()}
	}
	s.links = &app.Links{Base: cfg.BaseURL, Signer: s.signer, PreferencesTTL: cfg.PreferencesTTL}
	if s.pages, err = templates.New(); err != nil {
		return nil, err
	}
	if s.store, err = openStore(ctx, cfg); err != nil {
		return nil, err
	}
	if _, err := s.store.Migrate(ctx); err != nil {
		return nil, err
	}
	if s.queue, err = jobs.Connect(cfg.RedisURL); err != nil {
		return nil, err
	}
	if s.queue.Embedded() {
		// The embedded queue starts empty: re-create the tasks of rows
		// that were relayed but never finished before the last stop.
		if _, err := s.store.RequeueUnfinishedOutbox(ctx); err != nil {
			return nil, err
		}
	}
	s.registerStateMetrics()
	if s.transport, err = newTransport(cfg, s.signer, 30*time.Second, 0); err != nil {
		return nil, err
	}
	holidays := append(append([]string{}, app.DefaultHolidaysRU...), cfg.Holidays...)
	calendar, err := app.NewCalendar(cfg.OperatorZone, holidays)
	if err != nil {
		return nil, &config.Error{Var: "NEWSLETTER_HOLIDAYS", Reason: err.Error()}
	}
	s.relay = jobs.NewRelay(s.store, s.queue.Client, log.With("component", "relay"))
	s.relay.Lease = cfg.OutboxLease
	core := &app.Core{
		Store: s.store, Signer: s.signer, Links: s.links, Calendar: calendar,
		Operator: app.Operator{Name: cfg.OperatorName, Email: cfg.OperatorEmail, Address: cfg.OperatorAddress,
			Country: cfg.OperatorCountry, SMTPCountry: cfg.SMTPCountry},
		Wake: s.relay.Wake,
	}
	if files, ok := s.transport.(*mail.FileOutbox); ok {
		core.MailFiles = files // an erasure deletes the person's mail files
	}
	s.svc = &app.Subscriptions{Core: core, ConfirmTTL: cfg.ConfirmTTL, PendingTTL: cfg.PendingTTL}
	s.privacy = &app.Privacy{Core: core, Subscriptions: s.svc}
	s.layouts = &app.Layouts{Core: core}
	s.feedback = &app.Feedback{Core: core}
	s.register = &app.Register{Core: core, Privacy: s.privacy, Feedback: s.feedback}
	s.inbound = &app.Inbound{Core: core}
	s.retention = &app.Retention{Core: core, PendingTTL: cfg.PendingTTL, Register: s.register}
	s.hooks = &app.Webhooks{Store: s.store, AllowPrivate: cfg.WebhookAllowPrivate, Wake: s.relay.Wake}
	s.admins = &app.Admins{Store: s.store}
	en, ru := templates.DefaultPolicy()
	if err := s.admins.EnsurePolicy(ctx, defaultPolicyVersion, en, ru); err != nil {
		return nil, fmt.Errorf("publish default policy: %w", err)
	}
	return s, nil
}

// newTransport is SMTP when configured, else the outbox folder (its files
// named by the recipient's address tag, so an erasure finds them),
// DKIM-signed when DKIM_* is set. timeout bounds each SMTP step and
// maxConns the connections kept open (0: the default).
func newTransport(cfg *config.Config, signer *app.Signer, timeout time.Duration, maxConns int) (mail.Transport, error) {
	var dkim *mail.DKIMSigner
	if cfg.DKIMKeyFile != "" {
		key, err := os.ReadFile(cfg.DKIMKeyFile)
		if err != nil {
			return nil, &config.Error{Var: "DKIM_PRIVATE_KEY_FILE", Reason: err.Error()}
		}
		if dkim, err = mail.NewDKIMSigner(cfg.DKIMDomain, cfg.DKIMSelector, key); err != nil {
			return nil, &config.Error{Var: "DKIM_PRIVATE_KEY_FILE", Reason: err.Error()}
		}
	}
	if cfg.SMTPURL == "" {
		files := mail.NewFileOutbox(cfg.OutboxDir(), dkim)
		files.TagRecipients(signer.AddressTag)
		return files, nil
	}
	t, err := mail.NewSMTP(mail.SMTPConfig{URL: cfg.SMTPURL, RatePerSecond: cfg.SMTPRate, Timeout: timeout, DKIM: dkim, MaxConns: maxConns})
	if err != nil {
		return nil, &config.Error{Var: "SMTP_URL", Reason: err.Error()}
	}
	return t, nil
}

// handlers are the task handlers of a worker process.
func (s *system) handlers() []jobs.Handler {
	tx := &jobs.Transactional{Store: s.store, Render: s.pages, Transport: s.transport, Links: s.links,
		From: s.cfg.MailFrom, Operator: s.svc.Operator, PendingTTL: s.cfg.PendingTTL, Metrics: s.metrics,
		Log: s.log.With("component", "mail"), Gate: s.privacy, Layouts: s.layouts.MailLayouts}
	return []jobs.Handler{
		jobs.ConfirmationMail{Transactional: tx},
		jobs.PreferencesMail{Transactional: tx},
		jobs.ExportMail{Transactional: tx},
		jobs.ExtensionNoticeMail{Transactional: tx, Notices: s.register},
		jobs.RequestAnswerMail{Transactional: tx, Answers: mailedRequests{s.register, s.inbound}},
		jobs.DeadlineAlertMail{Transactional: tx, Requests: s.store, Admins: s.store, Location: s.svc.Calendar.Location},
		jobs.EraseHandler{Eraser: s.privacy},
		jobs.WebhookHandler{Store: s.store, Sender: webhook.NewSender(webhook.Options{AllowPrivate: s.cfg.WebhookAllowPrivate})},
		jobs.SweepHandler{Sweeper: s.retention, Log: s.log.With("component", "sweep")},
		jobs.InboundProcessor{Requests: mailedRequests{s.register, s.inbound}, Mail: tx, Sent: s.store, TrustedAuthservID: s.cfg.InboundTrustedAuthservID,
			OwnAddresses: []string{s.cfg.MailFrom, s.cfg.OperatorEmail}, ReplyTo: s.cfg.OperatorEmail,
			Log: s.log.With("component", "inbound")},
		jobs.InboundSweepHandler{Sweeper: s.inbound, Log: s.log.With("component", "inbound")},
	}
}

// periodic are the tasks run on a schedule, once across machines.
func (s *system) periodic() *jobs.Periodic {
	return &jobs.Periodic{Client: s.queue.Client, Log: s.log, Tasks: []jobs.PeriodicTask{
		{Type: jobs.TypeSweep, Every: 10 * time.Minute},
		{Type: jobs.TypeInboundSweep, Every: time.Hour},
	}}
}

// mailboxPoller reads the mailbox of IMAP_URL for emailed requests.
func (s *system) mailboxPoller() *jobs.MailboxPoller {
	return &jobs.MailboxPoller{URL: s.cfg.IMAPURL, Receiver: s.inbound, Leases: s.store, Log: s.log.With("component", "mailbox")}
}

// webDeps are the parts the web server calls.
func (s *system) webDeps() web.Deps {
	auth := &app.AdminAuth{Store: s.store, Admins: s.admins, Keys: s.signer, Issuer: s.cfg.OperatorName}
	var single web.SingleSignOn
	if o := s.cfg.OIDC; o.On() {
		single = sso.New(sso.Config{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
			RedirectURL: s.cfg.BaseURL.String() + "/admin/login/oidc/callback", Name: o.ProviderName})
	}
	return web.Deps{
		Log: s.log, Metrics: s.metrics, Pages: s.pages,
		Checks:        []web.Check{{Name: "database", Ping: s.store}, {Name: "queue", Ping: s.queue}},
		Subscriptions: s.svc, Newsletters: &app.Newsletters{Store: s.store}, Preferences: s.svc, Unsubscribes: s.svc, Policies: s.store.Policies(), Keys: s.signer,
		Limiter: &jobs.RateLimiter{Redis: s.queue.Redis()}, Inbound: s.inbound,
		Webhooks: webhookReaders(s.cfg), Feedback: s.feedback,
		APITokens: s.admins, Publisher: s.admins, Auth: auth, TwoFactor: auth, SSO: single,
		Directory: s.store, Dashboard: s.store, Privacy: officer{s.privacy, s.register, s.inbound}, EventHooks: s.hooks,
		Bulk: &app.Bulk{Importer: &app.Importer{Store: s.store, Signer: s.signer, Operator: s.svc.Operator}, Store: s.store,
			Log: s.log.With("component", "import")},
		MailLayouts: s.layouts, Layout: s.pages,
		Archive: &app.Archive{Store: s.store, PreferencesURL: s.svc.Links.Page("/preferences")},
		Clicks: &app.Clicks{Store: s.store, Signer: s.signer, CountFailed: func(id string, err error) {
			s.log.Warn("click not counted", "link", id, "err", err)
		}},
	}
}

// webOptions are the web server's settings.
func (s *system) webOptions() web.Options {
	return web.Options{
		BaseURL: s.cfg.BaseURL, Operator: s.svc.Operator,
		FormOrigins: s.cfg.FormOrigins, FormRedirect: s.cfg.FormRedirect, AnalyticsSrc: s.cfg.AnalyticsSrc,
		LimitIP: s.cfg.SubscribeLimitIP, LimitAddress: s.cfg.SubscribeLimitAddress,
		InboundToken: s.cfg.InboundToken, OutboxDir: s.consoleOutboxDir(),
		MetricsToken: s.cfg.MetricsToken, MetricsOwnAddr: s.cfg.MetricsAddr != "",
		Zone: s.svc.Calendar.Location,
	}
}

// consoleOutboxDir is the outbox the admin console shows: the folder mail
// goes to when no SMTP server is configured.
func (s *system) consoleOutboxDir() string {
	if s.cfg.SMTPURL != "" {
		return ""
	}
	return s.cfg.OutboxDir()
}

func (s *system) close() {
	if s.transport != nil {
		s.transport.Close()
	}
	if s.queue != nil {
		s.queue.Close()
	}
	if s.store != nil {
		s.store.Close()
	}
}

// mailedRequests are the use cases behind requests that arrive by email:
// the register acts on them and answers them, the inbound mail holds their
// messages.
type mailedRequests struct {
	*app.Register
	*app.Inbound
}

// officer is the privacy officer's operations in the console and the API:
// a person's data, the request register, and the mail nothing was done
// with.
type officer struct {
	*app.Privacy
	*app.Register
	*app.Inbound
}
