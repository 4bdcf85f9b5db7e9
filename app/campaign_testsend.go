package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Test sends. A test goes at once to a few addresses a marketer types: the
// same address rules as the subscription form (no display names, no IP
// literals, a real domain), and the same refusals as a campaign's
// recipients: an address on the suppression list, or of a subscriber who
// is blocked, erased, pending or without the consent the campaign needs,
// gets no test. Such an address is named with a reason that does not say
// which of these it is, and then nothing is sent at all. Each admin may
// send CampaignTestsPerHour tests an hour, counted in the shared limiter
// so that the limit holds across web processes; when the limiter cannot
// be reached, tests are refused rather than sent unlimited.

// CampaignTestsPerHour is how many test sends one admin may make in an
// hour (each to at most CampaignTestMax addresses).
const CampaignTestsPerHour = 20

// RateLimiter counts events per key over a sliding window shared by every
// process.
type RateLimiter interface {
	// Allow records one event for key and reports whether it is within
	// limit events per window.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// Message keys of test-send refusals.
const (
	msgTestRefused   = "test.refused"
	msgTestNoAddress = "test.no_address"
	msgTestTooMany   = "test.too_many"
	msgTestCheck     = "test.check"
)

var testSendMessages = map[string][2]string{
	msgTestRefused: {"does not receive our mail (unsubscribed, blocked, erased or on the suppression list)",
		"не получает наши письма (отписан, заблокирован, удалён или в списке запрета рассылки)"},
	msgTestNoAddress: {"at least one address", "нужен хотя бы один адрес"},
	msgTestTooMany:   {"at most %d addresses", "не больше %d адресов"},
	msgTestCheck:     {"Check the test addresses.", "Проверьте адреса для теста."},
}

func testMessage(locale, key string) string {
	if m, ok := testSendMessages[key]; ok {
		return m[map[bool]int{false: 0, true: 1}[NormalizeLocale(locale) == LocaleRU]]
	}
	return Message(locale, key)
}

// refusedAddress is a test address that gets no mail, with the message
// key of the reason.
type refusedAddress struct {
	index   int
	address string
	key     string
}

// TestAddressError lists what is wrong with a test send's addresses. It
// unwraps to an English *Error with code EINVALID whose fields are "to"
// (everything, one address a line) and "to[i]" (the i-th address given);
// Localize gives it in Russian.
type TestAddressError struct {
	refused []refusedAddress
	general string // a key about the list as a whole
}

// Error implements the error interface with the English text.
func (e *TestAddressError) Error() string { return e.Localize(LocaleEN).Error() }

// Unwrap returns the failure as an English *Error.
func (e *TestAddressError) Unwrap() error { return e.Localize(LocaleEN) }

// Localize returns the failure in the language of locale.
func (e *TestAddressError) Localize(locale string) *Error {
	fields := map[string]string{}
	var all []string
	if e.general != "" {
		msg := testMessage(locale, e.general)
		if e.general == msgTestTooMany {
			msg = fmt.Sprintf(msg, CampaignTestMax)
		}
		all = append(all, msg)
	}
	for _, r := range e.refused {
		msg := r.address + ": " + strings.TrimSuffix(testMessage(locale, r.key), ".")
		fields["to["+strconv.Itoa(r.index)+"]"] = msg
		all = append(all, msg)
	}
	fields["to"] = strings.Join(all, "\n")
	return &Error{Code: EINVALID, Message: testMessage(locale, msgTestCheck), Fields: fields}
}

// SendTest sends the campaign as it would reach a recipient named "Test"
// to up to CampaignTestMax addresses, at once. Its links carry no
// subscriber. A refused address stops the whole send.
func (s *Campaigns) SendTest(ctx context.Context, actor *Admin, id int64, to []string) error {
	addrs, err := testAddresses(to)
	if err != nil {
		return err
	}
	c, err := s.Store.Campaigns().Campaign(ctx, id)
	if err != nil {
		return err
	}
	// A campaign saved before a rule was added is checked again.
	if check := *c; check.Validate() != nil {
		return check.Validate()
	}
	if s.Signer == nil {
		return Errorf(EUNAVAILABLE, "Test sends are not available in this process.")
	}
	if err := s.allowTest(ctx, actor); err != nil {
		return err
	}
	if err := s.checkTestRecipients(ctx, c, addrs); err != nil {
		return err
	}
	if err := s.audit(ctx, actor, "campaign_test_sent", id, fmt.Sprintf("%d addresses", len(addrs))); err != nil {
		return err
	}
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = a.address
	}
	return s.Tester.SendTest(ctx, c, list)
}

// testAddress is a test address: where it stood in the list, and its
// canonical form.
type testAddress struct {
	index   int
	address string
}

// testAddresses normalizes the addresses, without repeats, as the
// subscription form does.
func testAddresses(to []string) ([]testAddress, error) {
	e := &TestAddressError{}
	var out []testAddress
	seen := map[string]bool{}
	for i, a := range to {
		if strings.TrimSpace(a) == "" {
			continue
		}
		addr, key := normalizeEmail(a)
		if key != "" {
			e.refused = append(e.refused, refusedAddress{index: i, address: strings.TrimSpace(a), key: key})
			continue
		}
		if !seen[addr] {
			seen[addr] = true
			out = append(out, testAddress{index: i, address: addr})
		}
	}
	switch {
	case len(e.refused) > 0:
	case len(out) == 0:
		e.general = msgTestNoAddress
	case len(out) > CampaignTestMax:
		e.general = msgTestTooMany
	default:
		return out, nil
	}
	return nil, e
}

// allowTest counts a test send of actor; over the limit it is refused.
func (s *Campaigns) allowTest(ctx context.Context, actor *Admin) error {
	if s.Limiter == nil {
		return nil
	}
	var adminID int64
	if actor != nil {
		adminID = actor.ID
	}
	ok, err := s.Limiter.Allow(ctx, "rl:campaign-test:admin:"+strconv.FormatInt(adminID, 10), CampaignTestsPerHour, time.Hour)
	if err != nil {
		return &Error{Code: EUNAVAILABLE, Message: "Test sends cannot be counted just now; please try again in a minute."}
	}
	if !ok {
		return &Error{Code: ERATELIMIT, Message: fmt.Sprintf("You have sent %d tests in the last hour; please wait before sending more.",
			CampaignTestsPerHour)}
	}
	return nil
}

// checkTestRecipients refuses addresses a campaign would not mail.
func (s *Campaigns) checkTestRecipients(ctx context.Context, c *Campaign, addrs []testAddress) error {
	aud := AudienceOf(c, s.Operator)
	e := &TestAddressError{}
	for _, a := range addrs {
		reason, err := s.Store.Suppressions().SuppressionReason(ctx, s.Signer.KeyedHash(a.address))
		if err != nil {
			return err
		}
		refused := reason != ""
		if !refused {
			sub, err := s.Store.Subscribers().SubscriberByEmail(ctx, a.address)
			switch {
			case IsNotFound(err):
			case err != nil:
				return err
			default:
				consents, err := s.Store.Subscribers().Consents(ctx, sub.ID)
				if err != nil {
					return err
				}
				ms, err := s.Store.Newsletters().Memberships(ctx, sub.ID)
				if err != nil {
					return err
				}
				refused = aud.Judge(sub, consents, OnNow(ms), false) != DeliverySending
			}
		}
		if refused {
			e.refused = append(e.refused, refusedAddress{index: a.index, address: a.address, key: msgTestRefused})
		}
	}
	if len(e.refused) > 0 {
		return e
	}
	return nil
}
