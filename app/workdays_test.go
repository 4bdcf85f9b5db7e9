package app

import (
	"slices"
	"testing"
	"time"
)

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

func mustCalendar(t *testing.T, loc *time.Location, holidays []string) *Calendar {
	t.Helper()
	c, err := NewCalendar(loc, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eod is the end of a civil day in loc.
func eod(date string, loc *time.Location) time.Time {
	d, err := time.ParseInLocation(holidayLayout, date, loc)
	if err != nil {
		panic(err)
	}
	return d.Add(24*time.Hour - time.Second)
}

func TestAddWorkingDays(t *testing.T) {
	msk := mustLocation(t, "Europe/Moscow")
	ru := mustCalendar(t, msk, DefaultHolidaysRU)
	utcRU := mustCalendar(t, time.UTC, DefaultHolidaysRU)
	plain := mustCalendar(t, time.UTC, nil)
	at := func(s string, loc *time.Location) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name     string
		cal      *Calendar
		received time.Time
		n        int
		want     time.Time
	}{
		{"plain weeks", ru, at("2026-02-02 10:00", msk), 10, eod("2026-02-16", msk)},
		{"across a weekend", ru, at("2026-02-05 10:00", msk), 2, eod("2026-02-09", msk)},
		{"across 23 February", ru, at("2026-02-13 10:00", msk), 10, eod("2026-03-02", msk)},
		{"across moved 8 March", ru, at("2026-03-04 10:00", msk), 7, eod("2026-03-16", msk)},
		{"across May holidays", ru, at("2026-04-30 18:00", msk), 7, eod("2026-05-13", msk)},
		{"across 12 June", ru, at("2026-06-11 09:00", msk), 3, eod("2026-06-17", msk)},
		{"received on Saturday", ru, at("2026-02-07 12:00", msk), 10, eod("2026-02-20", msk)},
		{"received on Friday", ru, at("2026-02-06 12:00", msk), 10, eod("2026-02-20", msk)},
		{"received on a holiday", ru, at("2026-02-23 12:00", msk), 1, eod("2026-02-24", msk)},
		{"across the year end", ru, at("2026-12-28 10:00", msk), 10, eod("2027-01-20", msk)},
		{"into the January holidays", ru, at("2026-12-30 10:00", msk), 5, eod("2027-01-15", msk)},
		{"late evening counts in Moscow", ru, at("2026-02-08 22:00", time.UTC), 10, eod("2026-02-24", msk)},
		{"same instant in UTC", utcRU, at("2026-02-08 22:00", time.UTC), 10, eod("2026-02-20", time.UTC)},
		{"no holidays across the year end", plain, at("2025-12-31 10:00", time.UTC), 2, eod("2026-01-02", time.UTC)},
		{"zero days", ru, at("2026-02-07 12:00", msk), 0, eod("2026-02-07", msk)},
		{"negative days", ru, at("2026-02-07 12:00", msk), -3, eod("2026-02-07", msk)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.AddWorkingDays(tt.received, tt.n)
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if got.Location() != tt.cal.location() {
				t.Errorf("location %v, want %v", got.Location(), tt.cal.location())
			}
		})
	}
}

func TestAddWorkingDaysDST(t *testing.T) {
	ny := mustLocation(t, "America/New_York")
	c := mustCalendar(t, ny, nil)
	// Clocks went forward on Sunday 8 March 2026.
	got := c.AddWorkingDays(time.Date(2026, 3, 6, 15, 0, 0, 0, ny), 1)
	if want := time.Date(2026, 3, 9, 23, 59, 59, 0, ny); !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNilCalendar(t *testing.T) {
	var c *Calendar
	got := c.AddWorkingDays(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), 1)
	if want := eod("2026-01-02", time.UTC); !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if c.IsWorkingDay(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)) {
		t.Error("Saturday is a working day")
	}
}

func TestWorkingWeekend(t *testing.T) {
	c := mustCalendar(t, time.UTC, []string{"2026-02-09", "+2026-02-07"})
	tests := []struct {
		name string
		day  string
		want bool
	}{
		{"working Saturday", "2026-02-07", true},
		{"ordinary Sunday", "2026-02-08", false},
		{"holiday Monday", "2026-02-09", false},
		{"ordinary Tuesday", "2026-02-10", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := time.Parse(holidayLayout, tt.day)
			if got := c.IsWorkingDay(d); got != tt.want {
				t.Errorf("IsWorkingDay(%s) = %v", tt.day, got)
			}
		})
	}
	got := c.AddWorkingDays(time.Date(2026, 2, 6, 10, 0, 0, 0, time.UTC), 2)
	if want := eod("2026-02-10", time.UTC); !got.Equal(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestDueAt(t *testing.T) {
	msk := mustLocation(t, "Europe/Moscow")
	ru := mustCalendar(t, msk, DefaultHolidaysRU)
	received := time.Date(2026, 2, 2, 10, 0, 0, 0, msk)
	tests := []struct {
		name     string
		kind     RequestKind
		received time.Time
		want     time.Time
	}{
		{"marketing opt-out is immediate", KindMarketingOptout, received, received},
		{"access 10 working days", KindAccess, received, eod("2026-02-16", msk)},
		{"data update 7 working days", KindDataUpdate, received, eod("2026-02-11", msk)},
		{"unknown 10 working days", KindUnknown, received, eod("2026-02-16", msk)},
		{"unrecognised kind like unknown", RequestKind("other"), received, eod("2026-02-16", msk)},
		{"revocation 30 calendar days", KindConsentRevocation, received, eod("2026-03-04", msk)},
		{"revocation across the year end", KindConsentRevocation, time.Date(2026, 12, 15, 23, 30, 0, 0, msk), eod("2027-01-14", msk)},
		{"revocation counted in Moscow", KindConsentRevocation, time.Date(2026, 2, 28, 22, 0, 0, 0, time.UTC), eod("2026-03-31", msk)},
		{"revocation ending on a holiday is not moved", KindConsentRevocation, time.Date(2026, 12, 1, 12, 0, 0, 0, msk), eod("2026-12-31", msk)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ru.DueAt(tt.kind, tt.received)
			if got == nil || !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExtendAccess(t *testing.T) {
	msk := mustLocation(t, "Europe/Moscow")
	ru := mustCalendar(t, msk, DefaultHolidaysRU)
	due := ru.DueAt(KindAccess, time.Date(2026, 2, 2, 10, 0, 0, 0, msk))
	got := ru.ExtendAccess(*due)
	if want := eod("2026-02-24", msk); !got.Equal(want) {
		t.Errorf("got %v, want %v (23 February skipped)", got, want)
	}
}

func TestParseHolidays(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		ok       bool
	}{
		{"empty", "", []string{}, true},
		{"blank", "  , ,", []string{}, true},
		{"comma list", "2026-01-01,2026-01-02", []string{"2026-01-01", "2026-01-02"}, true},
		{"mixed separators", " 2026-01-01; 2026-01-02\n2026-02-23 ", []string{"2026-01-01", "2026-01-02", "2026-02-23"}, true},
		{"working weekend", "2026-01-01,+2025-11-01", []string{"2026-01-01", "+2025-11-01"}, true},
		{"bad month", "2026-13-01", nil, false},
		{"russian order", "01.01.2026", nil, false},
		{"garbage", "2026-01-01,soon", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHolidays(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			if tt.ok && !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewCalendarErrors(t *testing.T) {
	tests := []struct {
		name string
		days []string
	}{
		{"not a date", []string{"tomorrow"}},
		{"working weekday", []string{"+2026-02-09"}},
		{"impossible date", []string{"2026-02-30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewCalendar(time.UTC, tt.days); err == nil {
				t.Fatal("no error")
			}
		})
	}
	c, err := NewCalendar(nil, nil)
	if err != nil || c.Location != time.UTC {
		t.Fatalf("nil location: %v, %v", c, err)
	}
}

func TestDefaultHolidaysRU(t *testing.T) {
	if _, err := NewCalendar(time.UTC, DefaultHolidaysRU); err != nil {
		t.Fatal(err)
	}
	if !slices.IsSorted(DefaultHolidaysRU) || len(slices.Compact(slices.Clone(DefaultHolidaysRU))) != len(DefaultHolidaysRU) {
		t.Error("list is not sorted or has duplicates")
	}
	// The 2026 production calendar has 247 working days.
	c := mustCalendar(t, time.UTC, DefaultHolidaysRU)
	working := 0
	for d := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			working++
		}
	}
	if working != 247 {
		t.Errorf("2026 has %d working days, want 247", working)
	}
}
