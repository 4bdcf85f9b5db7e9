package testenv

import "newsletter/app"

// UseCases are the use-case types of subscribers, privacy, requests,
// inbound mail and feedback on one app.Core, wired as cmd/newsletter wires
// them, so a test calls any of them through one value.
type UseCases struct {
	*app.Core
	*app.Subscriptions
	*app.Privacy
	*app.Register
	*app.Inbound
	*app.Feedback
	*app.Retention
}

// Wire builds the other use-case types on the Core of svc.
func Wire(svc *app.Subscriptions) *UseCases {
	c := svc.Core
	privacy := &app.Privacy{Core: c, Subscriptions: svc}
	feedback := &app.Feedback{Core: c}
	register := &app.Register{Core: c, Privacy: privacy, Feedback: feedback}
	return &UseCases{Core: c, Subscriptions: svc, Privacy: privacy, Register: register, Inbound: &app.Inbound{Core: c},
		Feedback: feedback, Retention: &app.Retention{Core: c, PendingTTL: svc.PendingTTL, Register: register}}
}
