package config

import (
	"strings"
	"time"
	_ "time/tzdata" // zone names load on hosts without a zoneinfo database
)

// countryZones is the time zone of an operator's country when
// OPERATOR_TIMEZONE is not set. A country with several zones maps to the
// zone of its capital; a country not listed falls back to UTC.
var countryZones = map[string]string{
	"RU": "Europe/Moscow",
	"BY": "Europe/Minsk",
	"KZ": "Asia/Almaty",
	"UA": "Europe/Kyiv",
	"AM": "Asia/Yerevan",
	"GE": "Asia/Tbilisi",
	"DE": "Europe/Berlin",
	"FR": "Europe/Paris",
	"GB": "Europe/London",
	"US": "America/New_York",
}

// countryZone is the default time zone name of a country code.
func countryZone(country string) string {
	if z, ok := countryZones[country]; ok {
		return z
	}
	return "UTC"
}

// loadZone loads an IANA time zone name for OPERATOR_TIMEZONE. "Local" is
// refused: the zone must not depend on the host.
func loadZone(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "local") {
		return nil, bad("OPERATOR_TIMEZONE", "%q is not an IANA time zone name (such as Europe/Moscow)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, bad("OPERATOR_TIMEZONE", "%q is not an IANA time zone name (such as Europe/Moscow)", name)
	}
	return loc, nil
}
