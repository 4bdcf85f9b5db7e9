package app

import (
	"fmt"
	"strings"
	"time"
)

// Legal deadlines of data-subject requests (152-FZ art. 14, 20, 21).
const (
	// RevocationDays: data is destroyed within 30 days of receiving a
	// withdrawal of consent (art. 21 part 5); calendar days.
	RevocationDays = 30
	// AccessWorkingDays: an access request is answered within 10 working
	// days (art. 14 part 3, art. 20 part 1).
	AccessWorkingDays = 10
	// AccessExtensionWorkingDays: the access deadline may be extended once by
	// 5 working days with a reasoned notice to the person.
	AccessExtensionWorkingDays = 5
	// DataUpdateWorkingDays: inaccurate data is corrected within 7 working
	// days (art. 21 part 2).
	DataUpdateWorkingDays = 7
	// ReviewWorkingDays: a request whose kind is unclear gets 10 working
	// days, during which a privacy officer classifies it.
	ReviewWorkingDays = 10
)

// holidayLayout is the format of a civil date in a holiday list.
const holidayLayout = "2006-01-02"

// Calendar knows which days are working days: Monday to Friday, except
// public holidays, plus weekend days made working days by a transfer decree.
// Days are civil dates ("2006-01-02") in Location. A nil *Calendar is a UTC
// calendar without holidays.
type Calendar struct {
	// Holidays are non-working days that would otherwise be working days.
	Holidays map[string]bool
	// WorkingWeekends are Saturdays or Sundays that are working days
	// because a day off was moved from them.
	WorkingWeekends map[string]bool
	// Location is where the days are counted; nil means UTC.
	Location *time.Location
}

// NewCalendar returns a calendar for loc (nil: UTC) with the given days.
// Each entry is a civil date "2026-01-01", a non-working holiday; an entry
// with a leading "+" ("+2025-11-01") is a weekend day that is a working day.
func NewCalendar(loc *time.Location, holidays []string) (*Calendar, error) {
	if loc == nil {
		loc = time.UTC
	}
	c := &Calendar{
		Holidays:        make(map[string]bool, len(holidays)),
		WorkingWeekends: map[string]bool{},
		Location:        loc,
	}
	for _, h := range holidays {
		h = strings.TrimSpace(h)
		working := strings.HasPrefix(h, "+")
		day, err := time.Parse(holidayLayout, strings.TrimPrefix(h, "+"))
		if err != nil {
			return nil, fmt.Errorf("calendar: day %q: want YYYY-MM-DD: %w", h, err)
		}
		key := day.Format(holidayLayout)
		if working {
			if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
				return nil, fmt.Errorf("calendar: working day %q is not a Saturday or Sunday", h)
			}
			c.WorkingWeekends[key] = true
		} else {
			c.Holidays[key] = true
		}
	}
	return c, nil
}

// ParseHolidays splits a configuration value (comma-, semicolon- or
// space-separated civil dates, each optionally prefixed by "+" for a working
// weekend day, e.g. "2026-01-01,2026-01-02,+2025-11-01") into the list
// NewCalendar takes, checking every entry. An empty value gives an empty list.
func ParseHolidays(s string) ([]string, error) {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if _, err := time.Parse(holidayLayout, strings.TrimPrefix(p, "+")); err != nil {
			return nil, fmt.Errorf("holidays: %q: want YYYY-MM-DD: %w", p, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func (c *Calendar) location() *time.Location {
	if c == nil || c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// isWorkingDate reports whether the civil date y-m-d is a working day.
func (c *Calendar) isWorkingDate(y int, m time.Month, d int) bool {
	day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
	key := day.Format(holidayLayout)
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return c != nil && c.WorkingWeekends[key]
	}
	return c == nil || !c.Holidays[key]
}

// IsWorkingDay reports whether the day of t, in the calendar's location, is a
// working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	y, m, d := t.In(c.location()).Date()
	return c.isWorkingDate(y, m, d)
}

// endOfDay is the last second of the civil date y-m-d in loc.
func endOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 0, loc)
}

// AddWorkingDays returns the end (23:59:59) of the n-th working day after
// the day of t, counted in the calendar's location. The day of t itself never
// counts, working day or not: a request received on a Friday and one
// received on the weekend after it are due at the same time. n <= 0 gives the
// end of t's own day.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	loc := c.location()
	y, m, d := t.In(loc).Date()
	for n > 0 {
		d++
		// Normalize so the loop never runs on an out-of-range day number.
		y, m, d = time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Date()
		if c.isWorkingDate(y, m, d) {
			n--
		}
	}
	return endOfDay(y, m, d, loc)
}

// DueAt returns the legal deadline of a request of kind received at
// received:
//
//   - consent_revocation: the end of the 30th calendar day after the day of
//     receipt (the deadline is not moved off weekends or holidays: earlier is
//     always compliant);
//   - access: 10 working days;
//   - data_update: 7 working days;
//   - marketing_optout: received itself (38-FZ: at once);
//   - unknown, and any other kind: 10 working days, for review.
//
// Working-day deadlines are as AddWorkingDays computes them. The result is
// never nil.
func (c *Calendar) DueAt(kind RequestKind, received time.Time) *time.Time {
	var due time.Time
	switch kind {
	case KindMarketingOptout:
		due = received
	case KindConsentRevocation:
		loc := c.location()
		y, m, d := received.In(loc).Date()
		due = endOfDay(y, m, d+RevocationDays, loc)
	case KindAccess:
		due = c.AddWorkingDays(received, AccessWorkingDays)
	case KindDataUpdate:
		due = c.AddWorkingDays(received, DataUpdateWorkingDays)
	default:
		due = c.AddWorkingDays(received, ReviewWorkingDays)
	}
	return &due
}

// ExtendAccess returns an access request's deadline extended by 5 working
// days (with a reasoned notice to the person, 152-FZ art. 14 part 3): the end
// of the 5th working day after the day of due.
func (c *Calendar) ExtendAccess(due time.Time) time.Time {
	return c.AddWorkingDays(due, AccessExtensionWorkingDays)
}
