package app

import "time"

// Clock tells the current time. Every use-case type holds one as its Now
// field (those built on Core share Core's); nil is the system clock, and tests set a fixed or moving time.
// Times from a Clock are in UTC.
type Clock func() time.Time

// Now returns the current time in UTC.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}
