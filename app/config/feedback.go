package config

import (
	"net/mail"
	"regexp"
	"strings"

	"newsletter/app/feedback"
)

// snsTopicRe is an SNS topic ARN.
var snsTopicRe = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)

// loadFeedback reads the settings of delivery feedback: the VERP return
// path and the mail providers' webhooks.
func loadFeedback(c *Config, get func(string, string) string) error {
	if rp := get("MAIL_RETURN_PATH", ""); rp != "" {
		a, err := mail.ParseAddress(rp)
		if err != nil || a.Name != "" || strings.Contains(a.Address, "+") {
			return bad("MAIL_RETURN_PATH", "must be a bare address without a +tag, such as bounces@news.example.com")
		}
		c.MailReturnPath = a.Address
	}
	for _, arn := range splitList(get("SES_SNS_TOPIC_ARNS", "")) {
		if !snsTopicRe.MatchString(arn) {
			return bad("SES_SNS_TOPIC_ARNS", "%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", arn)
		}
		c.SESTopicARNs = append(c.SESTopicARNs, arn)
	}
	if c.SendGridWebhookKey = get("SENDGRID_WEBHOOK_PUBLIC_KEY", ""); c.SendGridWebhookKey != "" {
		if _, err := feedback.ParseSendGridKey(c.SendGridWebhookKey); err != nil {
			return bad("SENDGRID_WEBHOOK_PUBLIC_KEY", "not SendGrid's verification key: %v", err)
		}
	}
	if c.MailgunSigningKey = get("MAILGUN_WEBHOOK_SIGNING_KEY", ""); c.MailgunSigningKey != "" && len(c.MailgunSigningKey) < 16 {
		return bad("MAILGUN_WEBHOOK_SIGNING_KEY", "too short to be Mailgun's webhook signing key")
	}
	c.PostmarkWebhookUser, c.PostmarkWebhookPassword = get("POSTMARK_WEBHOOK_USER", ""), get("POSTMARK_WEBHOOK_PASSWORD", "")
	switch {
	case (c.PostmarkWebhookUser == "") != (c.PostmarkWebhookPassword == ""):
		return bad("POSTMARK_WEBHOOK_PASSWORD", "POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD must be set together")
	case c.PostmarkWebhookPassword != "" && len(c.PostmarkWebhookPassword) < 16:
		return bad("POSTMARK_WEBHOOK_PASSWORD", "must be at least 16 characters")
	case strings.Contains(c.PostmarkWebhookUser, ":"):
		return bad("POSTMARK_WEBHOOK_USER", "must not contain a colon")
	}
	return nil
}

// FeedbackProviders lists the mail providers whose webhooks are on.
func (c *Config) FeedbackProviders() []string {
	var out []string
	if len(c.SESTopicARNs) > 0 {
		out = append(out, feedback.SES)
	}
	if c.SendGridWebhookKey != "" {
		out = append(out, feedback.SendGrid)
	}
	if c.MailgunSigningKey != "" {
		out = append(out, feedback.Mailgun)
	}
	if c.PostmarkWebhookUser != "" {
		out = append(out, feedback.Postmark)
	}
	return out
}
