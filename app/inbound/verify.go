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
//     dmarc=pass (for the From domain), or dkim=pass with an aligned
//     header.d. Headers of any other authserv-id, or below the topmost, are
//     never trusted: anyone can write them.
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
	if err != nil && len(results) == 0 {
		return nil, "authentication-results: unreadable", true
	}
	var notes []string
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			from := normDomain(r.From)
			if r.Value == authres.ResultPass && (from == "" || from == fromDomain) {
				return &Verification{Method: MethodAuthResults, Pass: true, Domain: fromDomain,
					Detail: "dmarc=pass by " + trusted}, "", true
			}
			notes = append(notes, "dmarc="+string(r.Value))
		case *authres.DKIMResult:
			d := normDomain(r.Domain)
			if d == "" && r.Identifier != "" {
				d = domainOf(r.Identifier)
			}
			if r.Value == authres.ResultPass && aligned(d, fromDomain) {
				return &Verification{Method: MethodAuthResults, Pass: true, Domain: d,
					Detail: "dkim=pass d=" + d + " by " + trusted}, "", true
			}
			if r.Value == authres.ResultPass {
				notes = append(notes, "dkim=pass of "+safeDomain(d)+" not aligned with From")
			} else {
				notes = append(notes, "dkim="+string(r.Value))
			}
		}
	}
	if len(notes) == 0 {
		notes = append(notes, "no dkim or dmarc result")
	}
	return nil, "authentication-results: " + strings.Join(notes, ", "), true
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
