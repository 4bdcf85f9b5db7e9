package main

import (
	"newsletter/app/config"
	"newsletter/app/feedback"
	"newsletter/web"
)

// webhookReaders are the readers of the mail providers' webhooks that are
// configured; the others stay off.
func webhookReaders(cfg *config.Config) map[string]web.WebhookReader {
	out := map[string]web.WebhookReader{}
	if len(cfg.SESTopicARNs) > 0 {
		out[feedback.SES] = &feedback.SESReader{TopicARNs: cfg.SESTopicARNs}
	}
	if cfg.SendGridWebhookKey != "" {
		if key, err := feedback.ParseSendGridKey(cfg.SendGridWebhookKey); err == nil { // checked by config.Load
			out[feedback.SendGrid] = &feedback.SendGridReader{Key: key}
		}
	}
	if cfg.MailgunSigningKey != "" {
		out[feedback.Mailgun] = &feedback.MailgunReader{SigningKey: []byte(cfg.MailgunSigningKey)}
	}
	if cfg.PostmarkWebhookUser != "" {
		out[feedback.Postmark] = &feedback.PostmarkReader{User: cfg.PostmarkWebhookUser, Password: cfg.PostmarkWebhookPassword}
	}
	return out
}
