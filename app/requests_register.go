package app

import (
	"context"
	"time"
)

// Channels of requests an operator received outside the product and
// enters in the register.
const (
	ChannelPhone    Channel = "phone"
	ChannelPaper    Channel = "paper"
	ChannelInPerson Channel = "in_person"
)

// RegisterRequests enters one request of each kind of in.Kinds (or of
// in.Kind) in the register, all or none, each with its legal deadline
// counted from when it was received: a letter that asks for several
// things is several requests. See RegisterRequest.
func (s *Register) RegisterRequests(ctx context.Context, actor *Admin, in RegisterInput) ([]*Request, error) {
	kinds := in.Kinds
	if len(kinds) == 0 {
		kinds = []RequestKind{in.Kind}
	}
	fields := map[string]string{}
	seen := map[RequestKind]bool{}
	for _, k := range kinds {
		switch k {
		case KindAccess, KindDataUpdate, KindUnknown:
		default:
			fields["kind"] = "access, data_update or unknown (erase a subscriber to register a revocation)"
		}
		if seen[k] {
			fields["kind"] = "each kind once"
		}
		seen[k] = true
		if k == KindDataUpdate && in.SubscriberID == 0 {
			fields["subscriber_id"] = "required for data_update"
		}
	}
	if in.Channel == "" {
		in.Channel = ChannelAPI
	}
	switch in.Channel {
	case ChannelEmail, ChannelWeb, ChannelAdmin, ChannelAPI, ChannelPhone, ChannelPaper, ChannelInPerson:
	default:
		fields["channel"] = "email, web, admin, api, phone, paper or in_person"
	}
	received, bad := s.receivedAt(in)
	if bad != "" {
		fields["received_at"] = bad
	}
	note, err := cleanReason("note", in.Note, false)
	if err != nil {
		return nil, err
	}
	verification, err := cleanReason("verification", in.Verification, false)
	if err != nil {
		return nil, err
	}
	if len(fields) > 0 {
		return nil, &Error{Code: EINVALID, Message: "invalid request", Fields: fields}
	}
	if verification == "" {
		verification = "operator"
	}
	var out []*Request
	err = s.Store.Tx(ctx, func(tx Store) error {
		for _, k := range kinds {
			r := &Request{Kind: k, Channel: in.Channel, Status: RequestReceived, ReceivedAt: received,
				DueAt: s.Calendar.DueAt(k, received), Verification: verification, Note: note}
			if err := s.registerOne(ctx, tx, actor, r, in.SubscriberID, note); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// receivedAt is when a registered request arrived: its ReceivedAt, or
// the start of its ReceivedOn date in the operator's time zone (now when
// that date is today), or now; bad says why it cannot be.
func (s *Register) receivedAt(in RegisterInput) (time.Time, string) {
	now := s.Now.Now()
	received := now
	switch {
	case in.ReceivedAt != nil:
		received = in.ReceivedAt.UTC()
	case in.ReceivedOn != "":
		loc := s.Calendar.location()
		day, err := time.ParseInLocation(time.DateOnly, in.ReceivedOn, loc)
		if err != nil {
			return now, "a date, YYYY-MM-DD"
		}
		y, m, d := now.In(loc).Date()
		if day.Equal(time.Date(y, m, d, 0, 0, 0, 0, loc)) {
			return now, ""
		}
		received = day.UTC()
	}
	if received.After(now.Add(time.Minute)) {
		return now, "must not be in the future"
	}
	return received, ""
}
