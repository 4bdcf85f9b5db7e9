package app

// DefaultHolidaysRU lists the non-working public holidays of the Russian
// Federation for 2026 and 2027 in the format NewCalendar takes. Treat it as
// read-only; NewCalendar copies it.
//
// Sources: Labour Code art. 112 (1-6 and 8 January: New Year holidays;
// 7 January; 23 February; 8 March; 1 May; 9 May; 12 June; 4 November; a
// holiday falling on a weekend moves the day off to the next working day,
// except the January ones, which the government moves by decree) and, for
// 2026, the government decree on moving days off in 2026 (3 and 4 January
// moved to 9 January and 31 December). Weekend days are listed where they
// are holidays only for completeness: Saturdays and Sundays never count as
// working days unless listed with a leading "+".
//
// For 2027 only the statutory holidays and the automatic moves of art. 112
// part 2 are listed; the decree moving 2 and 3 January 2027 (and any bridge
// days) was not known when this list was written. This list MUST be checked
// against the official decree each year (published in the autumn before) and
// updated, or replaced through configuration.
var DefaultHolidaysRU = []string{
	// 2026
	"2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05",
	"2026-01-06", "2026-01-07", "2026-01-08",
	"2026-01-09", // moved from Saturday 3 January
	"2026-02-23",
	"2026-03-09", // 8 March is a Sunday
	"2026-05-01",
	"2026-05-11", // 9 May is a Saturday
	"2026-06-12",
	"2026-11-04",
	"2026-12-31", // moved from Sunday 4 January

	// 2027 (statutory; check the 2027 decree)
	"2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04", "2027-01-05",
	"2027-01-06", "2027-01-07", "2027-01-08",
	"2027-02-23",
	"2027-03-08",
	"2027-05-03", // 1 May is a Saturday
	"2027-05-10", // 9 May is a Sunday
	"2027-06-14", // 12 June is a Saturday
	"2027-11-04",
}
