package web

import (
	"testing"
	"time"

	"newsletter/app"
)

// TestFormatTimeZones shows the same instants, and the end of a request's
// deadline, in two operator time zones.
func TestFormatTimeZones(t *testing.T) {
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 12, 4, 22, 30, 0, 0, time.UTC) // 01:30 on the 5th in Moscow, 17:30 on the 4th in New York
	tests := []struct {
		name string
		zone *time.Location
		at   time.Time
		want string
		// due is the end of the consent revocation deadline of a request
		// received at at: the end of the 30th day after the local day.
		due string
	}{
		{"Moscow", moscow, received, "2026-12-05 01:30 MSK", "2027-01-04 23:59 MSK"},
		{"NewYork", newYork, received, "2026-12-04 17:30 EST", "2027-01-03 23:59 EST"},
		{"NilIsUTC", nil, received, "2026-12-04 22:30 UTC", "2027-01-03 23:59 UTC"},
		{"ZeroShowsNothing", moscow, time.Time{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatTime(tt.at, tt.zone); got != tt.want {
				t.Errorf("formatTime = %q, want %q", got, tt.want)
			}
			if tt.at.IsZero() {
				return
			}
			cal, err := app.NewCalendar(tt.zone, nil)
			if err != nil {
				t.Fatal(err)
			}
			due := cal.DueAt(app.KindConsentRevocation, tt.at)
			if got := formatTime(*due, tt.zone); got != tt.due {
				t.Errorf("deadline %q, want %q", got, tt.due)
			}
			s := &Server{opts: Options{Zone: tt.zone}}
			if got := s.localTimePtr(due); got != tt.due {
				t.Errorf("localTimePtr = %q, want %q", got, tt.due)
			}
		})
	}
}
