package inbound

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"golang.org/x/net/publicsuffix"
)

// Verification methods.
const (
	MethodDKIM        = "dkim"
	MethodAuthResults = "authentication-results"
	MethodNone        = "none"
)

// maxSignatures bounds the DKIM signatures checked in one message.
const maxSignatures = 5

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// LookupTXT resolves DNS TXT records (DKIM keys). Nil uses the system
	// resolver; tests inject their own.
	LookupTXT func(ctx context.Context, domain string) ([]string, error)
	// TrustedAuthservID is the authserv-id of the operator's own receiving
	// server. Only the topmost Authentication-Results header, and only when
	// it carries this id, is trusted. Empty trusts no Authentication-Results.
	TrustedAuthservID string
}

// Verification is the outcome of Verify.
type Verification struct {
	// Method is the mechanism that decided: MethodDKIM or MethodAuthResults
	// when one passed; when none passed, the strongest one examined, or
	// MethodNone when the message had neither a DKIM signature nor a trusted
	// Authentication-Results header.
	Method string
	// Pass reports that the From domain vouches for the message.
	Pass bool
	// Detail explains the outcome in a few words, with domains but no
	// addresses; fit for a request register.
	Detail string
	// Domain is the signing or authenticated domain that passed, if any.
	Domain string
}

// Verify checks that the domain of the From address vouches for the raw
// message, so that the request can be acted on as the person's own:
//
//   - DKIM: a valid signature whose d= is aligned with fromDomain (relaxed
//     alignment: the same organizational domain under the public suffix
//     list). A valid signature of another domain does not count.
//   - Otherwise Authentication-Results: only the topmost such header, only
//     when its authserv-id equals opts.TrustedAuthservID, passing on
//     dmarc=pass with header.from equal to the From domain, or dkim=pass
//     with an aligned header.d, when no other result in it contradicts
//     them (see verifyAuthResults). Headers of any other authserv-id, or
//     below the topmost, are never trusted: anyone can write them.
//
// fromDomain is the domain of the parsed From address; when empty it is read
// from the message. A message with more or fewer than one From header never
// passes.
func Verify(ctx context.Context, raw []byte, fromDomain string, opts VerifyOptions) Verification {
	h, err := readRawHeader(raw)
	if err != nil {
		return Verification{Method: MethodNone, Detail: "unreadable header"}
	}
	if n := countFields(h, "From"); n != 1 {
		return Verification{Method: MethodNone, Detail: fmt.Sprintf("%d From headers", n)}
	}
	if fromDomain == "" {
		a, _ := parseAddress(h.Get("From"))
		fromDomain = domainOf(a)
	}
	fromDomain = normDomain(fromDomain)
	if fromDomain == "" {
		return Verification{Method: MethodNone, Detail: "no From domain"}
	}

	var details []string
	method := MethodNone

	// DKIM.
	if h.Has(dkimHeader) {
		method = MethodDKIM
		v, detail := verifyDKIM(ctx, raw, fromDomain, opts.LookupTXT)
		if v != nil {
			return *v
		}
		details = append(details, detail)
	} else {
		details = append(details, "dkim: no signature")
	}

	// Authentication-Results of the trusted receiving server.
	v, detail, examined := verifyAuthResults(h, fromDomain, opts.TrustedAuthservID)
	if v != nil {
		return *v
	}
	if examined && method == MethodNone {
		method = MethodAuthResults
	}
	details = append(details, detail)
	return Verification{Method: method, Detail: strings.Join(details, "; ")}
}

const dkimHeader = "DKIM-Signature"

func readRawHeader(raw []byte) (textproto.Header, error) {
	return textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
}

func countFields(h textproto.Header, k string) int {
	n := 0
	f := h.FieldsByKey(k)
	for f.Next() {
		n++
	}
	return n
}

func verifyDKIM(ctx context.Context, raw []byte, fromDomain string, lookup func(context.Context, string) ([]string, error)) (*Verification, string) {
	if lookup == nil {
		lookup = net.DefaultResolver.LookupTXT
	}
	opts := &dkim.VerifyOptions{
		LookupTXT:        func(domain string) ([]string, error) { return lookup(ctx, domain) },
		MaxVerifications: maxSignatures,
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), opts)
	if err != nil && len(verifs) == 0 {
		return nil, "dkim: unreadable"
	}
	var notes []string
	for _, v := range verifs {
		d := normDomain(v.Domain)
		switch {
		case v.Err != nil:
			notes = append(notes, "invalid signature of "+safeDomain(d))
		case !aligned(d, fromDomain):
			notes = append(notes, "signature of "+safeDomain(d)+" not aligned with From")
		default:
			return &Verification{
				Method: MethodDKIM,
				Pass:   true,
				Domain: d,
				Detail: "dkim=pass d=" + d,
			}, ""
		}
	}
	if len(notes) == 0 {
		return nil, "dkim: no signature"
	}
	return nil, "dkim: " + strings.Join(notes, ", ")
}

// verifyAuthResults reads the topmost Authentication-Results header only.
// examined reports that it came from the trusted server.
//
// It passes only on a result aligned with the From domain that nothing in
// the same header contradicts:
//
//   - dmarc=pass counts only with header.from equal to the From domain. Any
//     other DMARC verdict for the From domain (fail, none, temperror, ...),
//     and any DMARC verdict about another From domain, vetoes every pass:
//     the domain's own policy, or the server's reading of the message,
//     disagrees.
//   - dkim=pass counts only when header.d (or, without it, the domain of
//     header.i) is aligned with the From domain and header.i, when given,
//     lies within header.d (RFC 6376 3.5). A DKIM result other than pass
//     for an aligned domain, or naming no domain at all, vetoes the DKIM
//     passes; a failing signature of an unrelated domain (an ESP's, a
//     list's) does not.
//   - A header the parser cannot read whole is not believed at all: what it
//     could not read may be the failure.
func verifyAuthResults(h textproto.Header, fromDomain, trusted string) (v *Verification, detail string, examined bool) {
	if trusted == "" {
		return nil, "authentication-results: no trusted server configured", false
	}
	f := h.FieldsByKey("Authentication-Results")
	if !f.Next() {
		return nil, "authentication-results: none", false
	}
	id, results, err := authres.Parse(stripComments(unfold(f.Value())))
	if !strings.EqualFold(strings.TrimSpace(id), trusted) {
		return nil, "authentication-results: topmost header not from the trusted server", false
	}
	if err != nil {
		return nil, "authentication-results: unreadable", true
	}
	var (
		notes               []string
		dmarcPass, dkimPass string // the domain that passed
		dmarcVeto, dkimVeto bool
	)
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			from := normDomain(unquote(r.From))
			switch {
			case from == "":
				if r.Value != authres.ResultPass {
					dmarcVeto = true
				}
				notes = append(notes, "dmarc="+safeValue(r.Value)+" without header.from")
			case from != fromDomain:
				dmarcVeto = true
				notes = append(notes, "dmarc="+safeValue(r.Value)+" for "+safeDomain(from)+", not the From domain")
			case r.Value == authres.ResultPass:
				dmarcPass = from
			default:
				dmarcVeto = true
				notes = append(notes, "dmarc="+safeValue(r.Value))
			}
		case *authres.DKIMResult:
			d, ok := dkimDomain(r)
			switch {
			case d == "" && r.Value == authres.ResultPass:
				notes = append(notes, "dkim=pass without a domain")
			case d == "":
				dkimVeto = true
				notes = append(notes, "dkim="+safeValue(r.Value)+" without a domain")
			case !aligned(d, fromDomain):
				if r.Value == authres.ResultPass {
					notes = append(notes, "dkim=pass of "+safeDomain(d)+" not aligned with From")
				}
			case !ok:
				dkimVeto = true
				notes = append(notes, "dkim="+safeValue(r.Value)+" d="+safeDomain(d)+" with header.i outside header.d")
			case r.Value == authres.ResultPass:
				if dkimPass == "" {
					dkimPass = d
				}
			default:
				dkimVeto = true
				notes = append(notes, "dkim="+safeValue(r.Value)+" d="+safeDomain(d))
			}
		}
	}
	switch {
	case dmarcVeto:
	case dmarcPass != "":
		return &Verification{Method: MethodAuthResults, Pass: true, Domain: dmarcPass,
			Detail: "dmarc=pass by " + trusted}, "", true
	case dkimPass != "" && !dkimVeto:
		return &Verification{Method: MethodAuthResults, Pass: true, Domain: dkimPass,
			Detail: "dkim=pass d=" + dkimPass + " by " + trusted}, "", true
	}
	if dkimPass != "" {
		notes = append(notes, "dkim=pass d="+dkimPass+" contradicted")
	}
	if dmarcPass != "" {
		notes = append(notes, "dmarc=pass contradicted")
	}
	if len(notes) == 0 {
		notes = append(notes, "no dkim or dmarc result")
	}
	return nil, "authentication-results: " + strings.Join(notes, ", "), true
}

// dkimDomain is the signing domain of a DKIM result: header.d, or without
// it the domain of header.i. ok is false when both are given and header.i
// is not header.d or one of its subdomains.
func dkimDomain(r *authres.DKIMResult) (d string, ok bool) {
	d = normDomain(unquote(r.Domain))
	i := ""
	if r.Identifier != "" {
		i = normDomain(domainOf(unquote(r.Identifier)))
	}
	switch {
	case d == "":
		return i, true
	case r.Identifier == "":
		return d, true
	}
	return d, i == d || strings.HasSuffix(i, "."+d)
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

var valueRe = regexp.MustCompile(`^[a-z]{1,16}$`)

// safeValue keeps a Detail free of anything but a result keyword.
func safeValue(v authres.ResultValue) string {
	if !valueRe.MatchString(string(v)) {
		return "(invalid)"
	}
	return string(v)
}

var commentRe = regexp.MustCompile(`\([^()]*\)`)

// stripComments removes RFC 5322 comments, which authres.Parse does not
// understand (Gmail writes "dmarc=pass (p=NONE sp=NONE dis=NONE)").
func stripComments(s string) string {
	for i := 0; i < 5 && strings.Contains(s, "("); i++ {
		s = commentRe.ReplaceAllString(s, " ")
	}
	return s
}

// aligned reports relaxed DMARC alignment: both domains share the
// organizational domain (the registrable domain under the public suffix
// list); a domain that has none must match exactly.
func aligned(a, b string) bool {
	a, b = normDomain(a), normDomain(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	oa, errA := publicsuffix.EffectiveTLDPlusOne(a)
	ob, errB := publicsuffix.EffectiveTLDPlusOne(b)
	return errA == nil && errB == nil && oa == ob
}

func normDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}

var domainRe = regexp.MustCompile(`^[a-z0-9.\-]{1,253}$`)

// safeDomain keeps a Detail free of anything but a plain domain.
func safeDomain(d string) string {
	if d == "" {
		return "(none)"
	}
	if !domainRe.MatchString(d) {
		return "(invalid domain)"
	}
	return d
}
