package main

import (
	"time"

	"newsletter/app"
	"newsletter/app/feedback"
	"newsletter/app/mail"
	"newsletter/jobs"
	"newsletter/web"
)

// campaignParts are campaign writing and sending, wired into a process.
type campaignParts struct {
	service   *app.Campaigns
	runner    *jobs.CampaignRunner
	transport mail.Transport
}

// campaignSMTPTimeout bounds one message's SMTP exchange. It must stay
// under half the claim lease (jobs.CampaignOptions.Lease, 30s): a worker
// that can no longer renew its claims stops starting messages after half a
// lease, and the one in flight must end before the lease does.
const campaignSMTPTimeout = 10 * time.Second

// wireCampaigns builds the campaign use cases and the runner that sends
// campaigns. Campaigns get their own SMTP connections, so a large campaign
// never holds up confirmations and replies.
func (s *system) wireCampaigns() (*campaignParts, error) {
	tr, err := newTransport(s.cfg, s.signer, campaignSMTPTimeout, 8)
	if err != nil {
		return nil, err
	}
	enq := &jobs.CampaignEnqueuer{Client: s.queue.Client, Inspector: s.queue.Inspector}
	log := s.log.With("component", "campaigns")
	runner, err := jobs.NewCampaignRunner(jobs.CampaignConfig{
		Store: s.store, Queue: enq, Transport: tr, Links: s.links, Signer: s.signer, Operator: s.svc.Operator,
		From: s.cfg.MailFrom, ReturnPath: s.cfg.MailReturnPath, RefHeaders: feedback.EchoHeaders(s.cfg.FeedbackProviders()),
		Metrics: s.metrics, Log: log, Layout: s.pages, Layouts: s.layouts.MailLayouts,
		// As many messages may wait for their results to be committed
		// as there are task handlers: the most a crash sends again.
		Options: jobs.CampaignOptions{RecoverOnStart: s.queue.Embedded(), Senders: s.cfg.Workers},
	})
	if err != nil {
		tr.Close()
		return nil, err
	}
	svc := &app.Campaigns{Store: s.store, Queue: enq, Tester: runner, Signer: s.signer, Operator: s.svc.Operator,
		Limiter: &jobs.RateLimiter{Redis: s.queue.Redis()},
		EnqueueFailed: func(id int64, err error) {
			log.Warn("enqueue campaign dispatch failed; the reconciliation enqueues it later", "campaign_id", id, "err", err)
		}}
	return &campaignParts{service: svc, runner: runner, transport: tr}, nil
}

// webDeps adds the campaign use cases to the web server's dependencies.
func (p *campaignParts) webDeps(d web.Deps) web.Deps {
	d.Campaigns = p.service
	d.Segments = &app.Segments{Store: p.service.Store}
	return d
}

func (p *campaignParts) close() { p.transport.Close() }
