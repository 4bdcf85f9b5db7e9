package app

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestValidCountryCode(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		{"RU", true},
		{"ru", true},
		{" us ", true},
		{"GB", true},
		{"DE", true},
		{"KZ", true},
		{"AQ", true},
		{"SS", true},
		{"UK", false},
		{"EU", false},
		{"XK", false},
		{"ZZ", false},
		{"SU", false},
		{"", false},
		{"R", false},
		{"RUS", false},
		{"12", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := ValidCountryCode(tt.code); got != tt.want {
				t.Errorf("ValidCountryCode(%q) = %v", tt.code, got)
			}
		})
	}
}

// TestISOList compares the table with the region data of golang.org/x/text
// (CLDR), which also knows the exceptionally reserved codes.
func TestISOList(t *testing.T) {
	if len(isoAlpha2) != 249 {
		t.Errorf("%d codes, want 249", len(isoAlpha2))
	}
	// CLDR also knows exceptionally reserved, transitionally reserved and
	// withdrawn codes, and the user-assigned XK; none is assigned in ISO 3166-1.
	notISO := map[string]bool{}
	for _, c := range strings.Fields("AC CP CQ DG EA IC TA XK UK UN " +
		"AN BU CS CT DD DY EZ FQ FX HV JT MI NH NQ NT PC PU PZ RH SU TP VD WK YD YU ZR") {
		notISO[c] = true
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			known := err == nil && r.IsCountry() && r.String() == code && !notISO[code]
			if known != isoAlpha2[code] {
				t.Errorf("%s: x/text says country=%v, table says %v", code, known, isoAlpha2[code])
			}
		}
	}
}

func TestAdequacyTables(t *testing.T) {
	for name, set := range map[string]map[string]bool{
		"fz152Adequate": fz152Adequate, "gdprAdequate": gdprAdequate, "eeaMembers": eeaMembers,
	} {
		t.Run(name, func(t *testing.T) {
			for c := range set {
				if !isoAlpha2[c] {
					t.Errorf("%s is not an ISO code", c)
				}
			}
		})
	}
	if n := len(countrySet(convention108Members, convention108NonMembers)); n != 55 {
		t.Errorf("Convention 108: %d parties, want 55", n)
	}
	if n := len(countrySet(convention108Members)); n != 46 {
		t.Errorf("Council of Europe: %d members, want 46", n)
	}
	if n := len(eeaMembers); n != 30 {
		t.Errorf("EEA: %d members, want 30", n)
	}
	for _, c := range strings.Fields(rknAdequate) {
		if countrySet(convention108Members, convention108NonMembers)[c] {
			t.Errorf("%s is on Roskomnadzor's list but is a Convention 108 party", c)
		}
	}
	for _, c := range []string{"US", "RU"} {
		if gdprAdequate[c] {
			t.Errorf("%s must not be on the GDPR list", c)
		}
	}
	if fz152Adequate["US"] {
		t.Error("US must not be on the 152-FZ list")
	}
}

func TestCrossBorderConsentRequired(t *testing.T) {
	tests := []struct {
		name, operator, smtp string
		want                 bool
	}{
		{"domestic", "RU", "RU", false},
		{"smtp unset", "RU", "", false},
		{"operator unset means RU", "", "RU", false},
		{"operator unset, US", "", "US", true},
		{"case and spaces", " ru ", "us", true},
		{"RU to Convention party DE", "RU", "DE", false},
		{"RU to Convention non-member AR", "RU", "AR", false},
		{"RU to Convention party AM", "RU", "AM", false},
		{"RU to RKN list KZ", "RU", "KZ", false},
		{"RU to RKN list JP", "RU", "JP", false},
		{"RU to RKN list CN", "RU", "CN", false},
		{"RU to US", "RU", "US", true},
		{"RU to AE", "RU", "AE", true},
		{"RU to unknown code", "RU", "XX", true},
		{"DE to FR inside EEA", "DE", "FR", false},
		{"DE to NO inside EEA", "DE", "NO", false},
		{"DE to adequate GB", "DE", "GB", false},
		{"DE to adequate CH", "DE", "CH", false},
		{"DE to US", "DE", "US", true},
		{"DE to RU", "DE", "RU", true},
		{"DE to KZ", "DE", "KZ", true},
		{"US operator domestic", "US", "US", false},
		{"KZ operator to RU", "KZ", "RU", false},
		{"KZ operator to US", "KZ", "US", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CrossBorderConsentRequired(tt.operator, tt.smtp); got != tt.want {
				t.Errorf("CrossBorderConsentRequired(%q, %q) = %v", tt.operator, tt.smtp, got)
			}
		})
	}
}

func TestAdequateCountries(t *testing.T) {
	tests := []struct {
		name, operator string
		has, hasNot    []string
	}{
		{"RU", "RU", []string{"RU", "DE", "AR", "KZ", "JP"}, []string{"US", "AE"}},
		{"default", "", []string{"RU", "KZ"}, []string{"US"}},
		{"DE", "de", []string{"DE", "FR", "GB", "JP"}, []string{"RU", "US", "KZ"}},
		{"US operator includes itself", "US", []string{"US", "DE"}, []string{"AE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AdequateCountries(tt.operator)
			if !slices.IsSorted(got) {
				t.Error("not sorted")
			}
			for _, c := range tt.has {
				if !slices.Contains(got, c) {
					t.Errorf("missing %s", c)
				}
			}
			for _, c := range tt.hasNot {
				if slices.Contains(got, c) {
					t.Errorf("has %s", c)
				}
			}
		})
	}
	t.Run("result is a copy", func(t *testing.T) {
		got := AdequateCountries("RU")
		for i := range got {
			got[i] = "US"
		}
		if !CrossBorderConsentRequired("RU", "US") || CrossBorderConsentRequired("RU", "DE") {
			t.Fatal("tables changed through the result")
		}
	})
}
