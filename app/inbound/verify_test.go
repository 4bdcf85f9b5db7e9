package inbound

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

const plainMsg = "From: Ann <ann@example.com>\r\n" +
	"To: privacy@shop.example\r\n" +
	"Subject: Revoking the Agreement to Personal Data Processing\r\n" +
	"Date: Mon, 5 Feb 2024 10:00:00 +0000\r\n" +
	"Message-ID: <v1@example.com>\r\n" +
	"\r\n" +
	"Please erase my data.\r\n"

func withFrom(from string) []byte {
	return []byte(strings.Replace(plainMsg, "ann@example.com", from, 1))
}

func TestVerifyDKIM(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		build   func(d *testDNS) []byte
		domain  string // From domain passed to Verify ("" = read it)
		pass    bool
		method  string
		details string
	}{
		{"aligned exact", func(d *testDNS) []byte { return d.sign(t, withFrom("ann@example.com"), "example.com") },
			"example.com", true, MethodDKIM, "dkim=pass d=example.com"},
		{"From domain read from the message", func(d *testDNS) []byte { return d.sign(t, withFrom("ann@example.com"), "example.com") },
			"", true, MethodDKIM, "d=example.com"},
		{"signer is a subdomain of From", func(d *testDNS) []byte { return d.sign(t, withFrom("ann@example.com"), "mail.example.com") },
			"example.com", true, MethodDKIM, "d=mail.example.com"},
		{"From is a subdomain of signer", func(d *testDNS) []byte { return d.sign(t, withFrom("ann@eu.example.com"), "example.com") },
			"eu.example.com", true, MethodDKIM, ""},
		{"sibling under a public suffix", func(d *testDNS) []byte { return d.sign(t, withFrom("ann@alpha.co.uk"), "beta.co.uk") },
			"alpha.co.uk", false, MethodDKIM, "not aligned"},
		{"another domain signs", func(d *testDNS) []byte { return d.sign(t, withFrom("ann@gmail.com"), "evil.example") },
			"gmail.com", false, MethodDKIM, "evil.example not aligned"},
		{"look-alike domain", func(d *testDNS) []byte { return d.sign(t, withFrom("ann@example.com"), "example.com.evil.example") },
			"example.com", false, MethodDKIM, "not aligned"},
		{"body altered after signing", func(d *testDNS) []byte {
			return bytes.Replace(d.sign(t, withFrom("ann@example.com"), "example.com"), []byte("erase"), []byte("keep!"), 1)
		}, "example.com", false, MethodDKIM, "invalid signature of example.com"},
		{"From altered after signing", func(d *testDNS) []byte {
			return bytes.Replace(d.sign(t, withFrom("ann@example.com"), "example.com"), []byte("ann@example.com"), []byte("bob@example.com"), 1)
		}, "example.com", false, MethodDKIM, "invalid"},
		{"key not published", func(d *testDNS) []byte {
			raw := d.sign(t, withFrom("ann@example.com"), "example.com")
			d.records = map[string]string{}
			return raw
		}, "example.com", false, MethodDKIM, "invalid"},
		{"evil and genuine signatures", func(d *testDNS) []byte {
			return d.sign(t, d.sign(t, withFrom("ann@example.com"), "evil.example"), "example.com")
		}, "example.com", true, MethodDKIM, "d=example.com"},
		{"unsigned", func(d *testDNS) []byte { return withFrom("ann@example.com") },
			"example.com", false, MethodNone, "dkim: no signature"},
		{"two From headers", func(d *testDNS) []byte {
			return d.sign(t, []byte("From: x@evil.example\r\n"+string(withFrom("ann@example.com"))), "example.com")
		}, "example.com", false, MethodNone, "2 From headers"},
		{"no From", func(d *testDNS) []byte {
			return []byte(strings.Replace(plainMsg, "From: Ann <ann@example.com>\r\n", "", 1))
		}, "", false, MethodNone, "0 From headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDNS()
			raw := tt.build(d)
			v := Verify(ctx, raw, tt.domain, d.opts())
			if v.Pass != tt.pass || v.Method != tt.method || !strings.Contains(v.Detail, tt.details) {
				t.Errorf("Verify = %+v, want pass=%v method=%s detail~%q", v, tt.pass, tt.method, tt.details)
			}
			if strings.Contains(v.Detail, "@") {
				t.Errorf("detail has an address: %q", v.Detail)
			}
		})
	}
}

func TestVerifyAuthenticationResults(t *testing.T) {
	msg := func(ars ...string) []byte {
		var b strings.Builder
		for _, ar := range ars {
			b.WriteString("Authentication-Results: " + ar + "\r\n")
		}
		b.WriteString(plainMsg)
		return []byte(b.String())
	}
	tests := []struct {
		name    string
		raw     []byte
		trusted string
		pass    bool
		method  string
	}{
		{"dmarc pass", msg("mx.operator.test; dmarc=pass header.from=example.com"), trustedID, true, MethodAuthResults},
		{"dmarc pass, id in other case", msg("MX.Operator.Test; dmarc=pass header.from=example.com"), trustedID, true, MethodAuthResults},
		{"dkim pass aligned", msg("mx.operator.test; dkim=pass header.d=mail.example.com"), trustedID, true, MethodAuthResults},
		{"dkim pass by header.i only", msg("mx.operator.test; dkim=pass (2048-bit key) header.i=@example.com header.s=s1; spf=pass (sender ok) smtp.mailfrom=example.com"), trustedID, true, MethodAuthResults},
		{"version and comments", msg("mx.operator.test 1; spf=pass (mx: domain of a@example.com designates 1.2.3.4; as permitted) smtp.mailfrom=example.com; dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com"), trustedID, true, MethodAuthResults},
		{"dkim pass not aligned", msg("mx.operator.test; dkim=pass header.d=evil.example"), trustedID, false, MethodAuthResults},
		{"dmarc pass for another domain", msg("mx.operator.test; dmarc=pass header.from=evil.example"), trustedID, false, MethodAuthResults},
		{"dmarc fail", msg("mx.operator.test; dkim=fail header.d=example.com; dmarc=fail header.from=example.com"), trustedID, false, MethodAuthResults},
		{"spf only", msg("mx.operator.test; spf=pass smtp.mailfrom=example.com"), trustedID, false, MethodAuthResults},
		{"untrusted server", msg("mx.evil.example; dmarc=pass header.from=example.com"), trustedID, false, MethodNone},
		{"trusted below untrusted", msg("relay.example; dmarc=none", "mx.operator.test; dmarc=pass header.from=example.com"), trustedID, false, MethodNone},
		{"trusted above forged", msg("mx.operator.test; dmarc=fail header.from=example.com", "mx.operator.test; dmarc=pass header.from=example.com"), trustedID, false, MethodAuthResults},
		{"nothing configured", msg("mx.operator.test; dmarc=pass header.from=example.com"), "", false, MethodNone},
		{"id prefix is not the id", msg("mx.operator.test.evil.example; dmarc=pass header.from=example.com"), trustedID, false, MethodNone},
		{"no header", msg(), trustedID, false, MethodNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newTestDNS()
			v := Verify(context.Background(), tt.raw, "example.com", VerifyOptions{LookupTXT: d.LookupTXT, TrustedAuthservID: tt.trusted})
			if v.Pass != tt.pass || v.Method != tt.method {
				t.Errorf("Verify = %+v, want pass=%v method=%s", v, tt.pass, tt.method)
			}
		})
	}
}

func TestVerifyPrefersDKIMAndPassesContext(t *testing.T) {
	type key struct{}
	d := newTestDNS()
	raw := d.sign(t, withFrom("ann@example.com"), "example.com")
	raw = append([]byte("Authentication-Results: mx.operator.test; dmarc=pass header.from=example.com\r\n"), raw...)
	var sawCtx bool
	opts := VerifyOptions{
		TrustedAuthservID: trustedID,
		LookupTXT: func(ctx context.Context, name string) ([]string, error) {
			sawCtx = ctx.Value(key{}) == "v"
			return d.LookupTXT(ctx, name)
		},
	}
	v := Verify(context.WithValue(context.Background(), key{}, "v"), raw, "example.com", opts)
	if !v.Pass || v.Method != MethodDKIM || v.Domain != "example.com" {
		t.Errorf("Verify = %+v", v)
	}
	if !sawCtx {
		t.Error("LookupTXT did not get the caller's context")
	}
}

func TestVerifyGarbage(t *testing.T) {
	for _, raw := range [][]byte{nil, []byte("no header at all"), []byte("\x00\x01\x02"), []byte("From: <>\r\n\r\n")} {
		v := Verify(context.Background(), raw, "", newTestDNS().opts())
		if v.Pass {
			t.Errorf("Verify(%q) passed", raw)
		}
	}
}

func TestAligned(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"example.com", "example.com", true},
		{"EXAMPLE.com.", "example.COM", true},
		{"mail.example.com", "example.com", true},
		{"a.example.com", "b.example.com", true},
		{"example.co.uk", "news.example.co.uk", true},
		{"alpha.co.uk", "beta.co.uk", false},
		{"co.uk", "alpha.co.uk", false},
		{"example.com", "example.org", false},
		{"evil-example.com", "example.com", false},
		{"yandex.ru", "mail.ru", false},
		{"", "example.com", false},
		{"localhost", "localhost", true},
	}
	for _, tt := range tests {
		if got := aligned(tt.a, tt.b); got != tt.want {
			t.Errorf("aligned(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

// TestVerifyAuthenticationResultsStrict: only a pass aligned with the From
// domain, with no conflicting result of the same method (and no DMARC
// verdict against it), verifies. The headers are as real receivers write
// them (Gmail, rspamd, OpenDKIM and OpenDMARC, Yandex).
func TestVerifyAuthenticationResultsStrict(t *testing.T) {
	msg := func(ar string) []byte {
		return []byte("Authentication-Results: " + ar + "\r\n" + plainMsg)
	}
	tests := []struct {
		name string
		ar   string
		pass bool
	}{
		{"gmail style, all pass",
			"mx.operator.test; dkim=pass header.i=@example.com header.s=20230601 header.b=AbCdEf12; " +
				"spf=pass (mx.operator.test: domain of ann@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=ann@example.com; " +
				"dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com", true},
		{"rspamd style, all pass",
			"mx.operator.test; dkim=pass header.d=example.com header.s=mail header.b=k9T0xq1Z; " +
				"dmarc=pass (policy=reject) header.from=example.com; spf=pass smtp.mailfrom=ann@example.com", true},
		{"dmarc pass through spf, no signature", "mx.operator.test; dkim=none; spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com", true},
		{"dmarc pass, header.from in other case", "mx.operator.test; dmarc=pass header.from=EXAMPLE.COM.", true},
		{"quoted header.from", `mx.operator.test; dmarc=pass header.from="example.com"`, true},
		{"aligned dkim pass beside a failing third-party signature",
			"mx.operator.test; dkim=pass header.d=example.com header.s=s1; dkim=fail (body hash did not verify) header.d=esp.example header.s=s2", true},
		{"dmarc pass beside a failing aligned signature (spf aligned)",
			"mx.operator.test; dkim=fail header.d=example.com; spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com", true},

		{"dmarc pass without header.from", "mx.operator.test; dmarc=pass", false},
		{"dmarc pass without header.from, comment only", "mx.operator.test; dmarc=pass (p=REJECT sp=REJECT dis=NONE)", false},
		{"dmarc pass for another domain", "mx.operator.test; dmarc=pass header.from=evil.example", false},
		{"dmarc pass for a subdomain of From", "mx.operator.test; dmarc=pass header.from=mail.example.com", false},
		{"dmarc pass for a parent of From", "mx.operator.test; dmarc=pass header.from=com", false},
		{"dmarc pass then fail", "mx.operator.test; dmarc=pass header.from=example.com; dmarc=fail header.from=example.com", false},
		{"dmarc fail then pass", "mx.operator.test; dmarc=fail header.from=example.com; dmarc=pass header.from=example.com", false},
		{"dmarc pass then temperror", "mx.operator.test; dmarc=pass header.from=example.com; dmarc=temperror header.from=example.com", false},
		{"dmarc pass beside a dmarc verdict on another From",
			"mx.operator.test; dmarc=pass header.from=example.com; dmarc=fail header.from=evil.example", false},
		{"dkim pass then fail of the same domain", "mx.operator.test; dkim=pass header.d=example.com; dkim=fail header.d=example.com", false},
		{"dkim fail then pass of the same domain", "mx.operator.test; dkim=fail header.d=example.com; dkim=pass header.d=example.com", false},
		{"dkim pass then fail of an aligned subdomain", "mx.operator.test; dkim=pass header.d=example.com; dkim=permerror header.d=mail.example.com", false},
		{"dkim pass then a failure naming no domain", "mx.operator.test; dkim=pass header.d=example.com; dkim=fail reason=\"bad signature\"", false},
		{"dkim pass, dmarc fails for the From domain", "mx.operator.test; dkim=pass header.d=mail.example.com; dmarc=fail (p=reject adkim=s) header.from=example.com", false},
		{"dkim pass, header.i of another domain", "mx.operator.test; dkim=pass header.d=example.com header.i=@evil.example", false},
		{"dkim pass, header.d of another domain, header.i aligned", "mx.operator.test; dkim=pass header.d=evil.example header.i=@example.com", false},
		{"dkim pass, header.i of a parent of header.d", "mx.operator.test; dkim=pass header.d=mail.example.com header.i=@example.com", false},
		{"dkim pass without any domain", "mx.operator.test; dkim=pass header.s=s1", false},
		{"unreadable part after a pass", "mx.operator.test; dkim=pass header.d=example.com; garbage; dmarc=fail header.from=example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Verify(context.Background(), msg(tt.ar), "example.com", VerifyOptions{LookupTXT: newTestDNS().LookupTXT, TrustedAuthservID: trustedID})
			if v.Pass != tt.pass {
				t.Errorf("Verify = %+v, want pass=%v", v, tt.pass)
			}
			if v.Method != MethodAuthResults {
				t.Errorf("method %q, want %q", v.Method, MethodAuthResults)
			}
			if strings.Contains(v.Detail, "@") {
				t.Errorf("detail has an address: %q", v.Detail)
			}
		})
	}
}
