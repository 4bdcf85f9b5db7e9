package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsletter/app/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const secret = "0123456789abcdef0123456789abcdef"

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.BaseURL.String() != "http://localhost:8080" || c.DataDir != "./data" {
		t.Errorf("defaults: addr %q base %q data %q", c.Addr, c.BaseURL, c.DataDir)
	}
	if !c.Embedded() || c.RedisURL != "" || c.SMTPURL != "" {
		t.Errorf("nothing configured must mean embedded mode")
	}
	if c.OperatorCountry != "RU" || c.SMTPCountry != "RU" {
		t.Errorf("countries %q %q, want RU RU", c.OperatorCountry, c.SMTPCountry)
	}
	if c.DatabaseMaxConns != 40 {
		t.Errorf("DATABASE_MAX_CONNS default %d, want 40", c.DatabaseMaxConns)
	}
	if c.ConfirmTTL != 7*24*time.Hour || c.PendingTTL != 30*24*time.Hour || c.PreferencesTTL != 4*time.Hour {
		t.Errorf("ttl %v %v %v", c.ConfirmTTL, c.PendingTTL, c.PreferencesTTL)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // prefix of the one-line error; "" means valid
		check   func(t *testing.T, c *config.Config)
	}{
		{name: "Production", env: map[string]string{
			"DATABASE_URL": "postgres://u:p@db:5432/nl?sslmode=disable", "REDIS_URL": "redis://redis:6379/0",
			"SMTP_URL": "smtp://u:p@mail:587?tls=starttls", "NEWSLETTER_SECRET": secret + "," + secret + "x",
		}, check: func(t *testing.T, c *config.Config) {
			if c.Embedded() || len(c.Secrets) != 2 {
				t.Errorf("embedded %v, %d secrets", c.Embedded(), len(c.Secrets))
			}
		}},
		{name: "MetricsOff", env: map[string]string{}, check: func(t *testing.T, c *config.Config) {
			if c.MetricsToken != "" || c.MetricsAddr != "" {
				t.Errorf("metrics %q %q, want off", c.MetricsToken, c.MetricsAddr)
			}
		}},
		{name: "Metrics", env: map[string]string{"METRICS_TOKEN": "a-scrape-token-0123", "METRICS_ADDR": "127.0.0.1:9100"},
			check: func(t *testing.T, c *config.Config) {
				if c.MetricsToken != "a-scrape-token-0123" || c.MetricsAddr != "127.0.0.1:9100" {
					t.Errorf("metrics %q %q", c.MetricsToken, c.MetricsAddr)
				}
			}},
		{name: "ZoneFromCountry", env: map[string]string{}, check: func(t *testing.T, c *config.Config) {
			if c.OperatorZone == nil || c.OperatorZone.String() != "Europe/Moscow" {
				t.Errorf("zone %v, want Europe/Moscow for RU", c.OperatorZone)
			}
		}},
		{name: "ZoneOtherCountry", env: map[string]string{"OPERATOR_COUNTRY": "ZW"}, check: func(t *testing.T, c *config.Config) {
			if c.OperatorZone == nil || c.OperatorZone.String() != "UTC" {
				t.Errorf("zone %v, want UTC for a country without a default", c.OperatorZone)
			}
		}},
		{name: "ZoneSet", env: map[string]string{"OPERATOR_TIMEZONE": "Asia/Vladivostok"}, check: func(t *testing.T, c *config.Config) {
			if c.OperatorZone == nil || c.OperatorZone.String() != "Asia/Vladivostok" {
				t.Errorf("zone %v, want Asia/Vladivostok", c.OperatorZone)
			}
		}},
		{name: "ZoneUnknown", env: map[string]string{"OPERATOR_TIMEZONE": "Mars/Olympus"},
			wantErr: `OPERATOR_TIMEZONE: "Mars/Olympus" is not an IANA time zone name`},
		{name: "ZoneLocal", env: map[string]string{"OPERATOR_TIMEZONE": "Local"}, wantErr: "OPERATOR_TIMEZONE: "},
		{name: "OIDCPartial", env: map[string]string{"OIDC_ISSUER": "https://id.example.com"},
			wantErr: "OIDC_ISSUER: OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together"},
		{name: "OIDCNoSecret", env: map[string]string{"OIDC_ISSUER": "https://id.example.com", "OIDC_CLIENT_ID": "news"},
			wantErr: "OIDC_ISSUER: OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together"},
		{name: "OIDCPlainHTTP", env: map[string]string{"OIDC_ISSUER": "http://id.example.com", "OIDC_CLIENT_ID": "news", "OIDC_CLIENT_SECRET": "s"},
			wantErr: "OIDC_ISSUER: "},
		{name: "OIDCNameAlone", env: map[string]string{"OIDC_PROVIDER_NAME": "Okta"}, wantErr: "OIDC_PROVIDER_NAME: "},
		{name: "OIDC", env: map[string]string{"OIDC_ISSUER": "https://id.example.com/", "OIDC_CLIENT_ID": "news", "OIDC_CLIENT_SECRET": "s"},
			check: func(t *testing.T, c *config.Config) {
				if !c.OIDC.On() || c.OIDC.Issuer != "https://id.example.com" || c.OIDC.ClientID != "news" {
					t.Errorf("oidc %+v", c.OIDC)
				}
			}},
		{name: "OIDCLoopbackHTTP", env: map[string]string{"OIDC_ISSUER": "http://127.0.0.1:5556/dex", "OIDC_CLIENT_ID": "news", "OIDC_CLIENT_SECRET": "s"}},
		{name: "MetricsShortToken", env: map[string]string{"METRICS_TOKEN": "short"}, wantErr: "METRICS_TOKEN: at least 16"},
		{name: "MetricsAddr", env: map[string]string{"METRICS_ADDR": "9100"}, wantErr: "METRICS_ADDR: "},
		{name: "MetricsAddrIsTheWebAddr", env: map[string]string{"METRICS_ADDR": ":8080"}, wantErr: "METRICS_ADDR: must differ from NEWSLETTER_ADDR"},
		{name: "MySQL", env: map[string]string{"DATABASE_URL": "mysql://u@h/db"}, wantErr: `DATABASE_URL: unsupported scheme "mysql"`},
		{name: "SecretRequiredWithDatabase", env: map[string]string{"DATABASE_URL": "postgres://h/db"}, wantErr: "NEWSLETTER_SECRET: required"},
		{name: "ShortSecret", env: map[string]string{"NEWSLETTER_SECRET": "short"}, wantErr: "NEWSLETTER_SECRET: each key"},
		{name: "RedisScheme", env: map[string]string{"REDIS_URL": "http://h:6379"}, wantErr: `REDIS_URL: unsupported scheme "http"`},
		{name: "SMTPScheme", env: map[string]string{"SMTP_URL": "ftp://h"}, wantErr: `SMTP_URL: unsupported scheme "ftp"`},
		{name: "SMTPTLS", env: map[string]string{"SMTP_URL": "smtp://h:25?tls=maybe"}, wantErr: "SMTP_URL: tls must be"},
		{name: "SMTPS", env: map[string]string{"SMTP_URL": "smtps://u:p@h:465"}},
		{name: "IMAPScheme", env: map[string]string{"IMAP_URL": "pop3://h"}, wantErr: `IMAP_URL: unsupported scheme "pop3"`},
		{name: "BadAddr", env: map[string]string{"NEWSLETTER_ADDR": "8080"}, wantErr: "NEWSLETTER_ADDR:"},
		{name: "BadBaseURL", env: map[string]string{"NEWSLETTER_BASE_URL": "example.com"}, wantErr: "NEWSLETTER_BASE_URL:"},
		{name: "BaseURLTrailingSlash", env: map[string]string{"NEWSLETTER_BASE_URL": "https://news.example.com/"}, check: func(t *testing.T, c *config.Config) {
			if c.BaseURL.String() != "https://news.example.com" {
				t.Errorf("base url %q", c.BaseURL)
			}
		}},
		{name: "BadCountry", env: map[string]string{"OPERATOR_COUNTRY": "Russia"}, wantErr: "OPERATOR_COUNTRY:"},
		{name: "SMTPCountryFollowsOperator", env: map[string]string{"OPERATOR_COUNTRY": "de"}, check: func(t *testing.T, c *config.Config) {
			if c.SMTPCountry != "DE" {
				t.Errorf("SMTP_COUNTRY %q, want DE", c.SMTPCountry)
			}
		}},
		{name: "BadSMTPCountry", env: map[string]string{"SMTP_COUNTRY": "USA"}, wantErr: "SMTP_COUNTRY:"},
		{name: "BadMailFrom", env: map[string]string{"MAIL_FROM": "not an address"}, wantErr: "MAIL_FROM:"},
		{name: "BadOperatorEmail", env: map[string]string{"OPERATOR_EMAIL": "x"}, wantErr: "OPERATOR_EMAIL:"},
		{name: "PartialDKIM", env: map[string]string{"DKIM_DOMAIN": "example.com"}, wantErr: "DKIM_DOMAIN:"},
		{name: "AdminWithoutPassword", env: map[string]string{"ADMIN_EMAIL": "a@example.com"}, wantErr: "ADMIN_PASSWORD:"},
		{name: "AdminShortPassword", env: map[string]string{"ADMIN_EMAIL": "a@example.com", "ADMIN_PASSWORD": "short"}, wantErr: "ADMIN_PASSWORD:"},
		{name: "BadTTL", env: map[string]string{"NEWSLETTER_CONFIRM_TTL": "seven days"}, wantErr: "NEWSLETTER_CONFIRM_TTL:"},
		{name: "BadPreferencesTTL", env: map[string]string{"NEWSLETTER_PREFERENCES_TTL": "-1h"}, wantErr: "NEWSLETTER_PREFERENCES_TTL:"},
		{name: "NegativeRate", env: map[string]string{"SMTP_RATE": "-1"}, wantErr: "SMTP_RATE:"},
		{name: "BadWorkers", env: map[string]string{"NEWSLETTER_WORKERS": "0"}, wantErr: "NEWSLETTER_WORKERS:"},
		{name: "ShortOutboxLease", env: map[string]string{"NEWSLETTER_OUTBOX_LEASE": "10ms"}, wantErr: "NEWSLETTER_OUTBOX_LEASE:"},
		{name: "OutboxLease", env: map[string]string{"NEWSLETTER_OUTBOX_LEASE": "30s"}, check: func(t *testing.T, c *config.Config) {
			if c.OutboxLease != 30*time.Second {
				t.Errorf("outbox lease %v", c.OutboxLease)
			}
		}},
		{name: "DatabaseMaxConns", env: map[string]string{"DATABASE_MAX_CONNS": "8"}, check: func(t *testing.T, c *config.Config) {
			if c.DatabaseMaxConns != 8 {
				t.Errorf("DATABASE_MAX_CONNS %d", c.DatabaseMaxConns)
			}
		}},
		{name: "DatabaseMaxConnsTooFew", env: map[string]string{"DATABASE_MAX_CONNS": "2"}, wantErr: "DATABASE_MAX_CONNS:"},
		{name: "BadHoliday", env: map[string]string{"NEWSLETTER_HOLIDAYS": "2026-01-01, 1 May"}, wantErr: "NEWSLETTER_HOLIDAYS:"},
		{name: "Holidays", env: map[string]string{"NEWSLETTER_HOLIDAYS": "2026-01-01, 2026-05-01"}, check: func(t *testing.T, c *config.Config) {
			if len(c.Holidays) != 2 {
				t.Errorf("holidays %v", c.Holidays)
			}
		}},
		{name: "BadOrigin", env: map[string]string{"NEWSLETTER_FORM_ORIGINS": "www.example.com"}, wantErr: "NEWSLETTER_FORM_ORIGINS:"},
		{name: "Origins", env: map[string]string{"NEWSLETTER_FORM_ORIGINS": "https://www.example.com/, http://localhost:3000"}, check: func(t *testing.T, c *config.Config) {
			if strings.Join(c.FormOrigins, " ") != "https://www.example.com http://localhost:3000" {
				t.Errorf("origins %v", c.FormOrigins)
			}
		}},
		{name: "BadRedirect", env: map[string]string{"NEWSLETTER_FORM_REDIRECT": "/thanks"}, wantErr: "NEWSLETTER_FORM_REDIRECT:"},
		{name: "BadLogFormat", env: map[string]string{"LOG_FORMAT": "xml"}, wantErr: "LOG_FORMAT:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error %q, got none", tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error %q, want prefix %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error must be one line: %q", err)
			}
		})
	}
}

func TestEnsureSecretKeepsTheKey(t *testing.T) {
	dir := t.TempDir()
	c, err := config.Load(env(map[string]string{"NEWSLETTER_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	first := string(c.Secrets[0])
	info, err := os.Stat(filepath.Join(dir, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v, want 0600", info.Mode().Perm())
	}
	c2, _ := config.Load(env(map[string]string{"NEWSLETTER_DATA_DIR": dir}))
	if err := c2.EnsureSecret(); err != nil {
		t.Fatal(err)
	}
	if string(c2.Secrets[0]) != first {
		t.Fatal("the secret changed between starts")
	}
}
