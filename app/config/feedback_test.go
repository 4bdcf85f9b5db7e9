package config_test

import (
	"slices"
	"strings"
	"testing"

	"newsletter/app/config"
)

// sendGridKey is a P-256 verification key as SendGrid's console shows it.
const sendGridKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="

func TestLoadFeedback(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		want    []string // providers on
	}{
		{name: "AllOff", env: nil, want: nil},
		{name: "All", env: map[string]string{
			"SES_SNS_TOPIC_ARNS":          "arn:aws:sns:eu-west-1:123456789012:ses-feedback, arn:aws:sns:us-east-1:123456789012:other",
			"SENDGRID_WEBHOOK_PUBLIC_KEY": sendGridKey, "MAILGUN_WEBHOOK_SIGNING_KEY": "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
			"POSTMARK_WEBHOOK_USER": "postmark", "POSTMARK_WEBHOOK_PASSWORD": "a long webhook password",
			"MAIL_RETURN_PATH": "bounces@news.example.com",
		}, want: []string{"ses", "sendgrid", "mailgun", "postmark"}},
		{name: "BadARN", env: map[string]string{"SES_SNS_TOPIC_ARNS": "arn:aws:sqs:eu-west-1:123456789012:q"}, wantErr: "SES_SNS_TOPIC_ARNS:"},
		{name: "BadSendGridKey", env: map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": "bm90IGEga2V5"}, wantErr: "SENDGRID_WEBHOOK_PUBLIC_KEY:"},
		{name: "ShortMailgunKey", env: map[string]string{"MAILGUN_WEBHOOK_SIGNING_KEY": "short"}, wantErr: "MAILGUN_WEBHOOK_SIGNING_KEY:"},
		{name: "PostmarkHalf", env: map[string]string{"POSTMARK_WEBHOOK_USER": "postmark"}, wantErr: "POSTMARK_WEBHOOK_PASSWORD: POSTMARK_WEBHOOK_USER and"},
		{name: "PostmarkShort", env: map[string]string{"POSTMARK_WEBHOOK_USER": "pm", "POSTMARK_WEBHOOK_PASSWORD": "short"}, wantErr: "POSTMARK_WEBHOOK_PASSWORD: must be"},
		{name: "PostmarkColon", env: map[string]string{"POSTMARK_WEBHOOK_USER": "p:m", "POSTMARK_WEBHOOK_PASSWORD": "a long webhook password"}, wantErr: "POSTMARK_WEBHOOK_USER:"},
		{name: "ReturnPathWithName", env: map[string]string{"MAIL_RETURN_PATH": "Bounces <bounces@news.example.com>"}, wantErr: "MAIL_RETURN_PATH:"},
		{name: "ReturnPathWithTag", env: map[string]string{"MAIL_RETURN_PATH": "bounces+x@news.example.com"}, wantErr: "MAIL_RETURN_PATH:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.FeedbackProviders(); !slices.Equal(got, tc.want) {
				t.Errorf("providers %v, want %v", got, tc.want)
			}
		})
	}
	c, err := config.Load(env(map[string]string{"MAIL_RETURN_PATH": "bounces@news.example.com",
		"SES_SNS_TOPIC_ARNS": "arn:aws:sns:eu-west-1:123456789012:ses-feedback"}))
	if err != nil || c.MailReturnPath != "bounces@news.example.com" || len(c.SESTopicARNs) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
}
