package web

import "testing"

// A cell a spreadsheet would take for a formula starts with an apostrophe;
// anything else is left as it is.
func TestCSVCellFormulas(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"+7 912 345-67-89", "'+7 912 345-67-89"},
		{"-2", "'-2"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"Анна = Петрова", "Анна = Петрова"},
		{"", ""},
		{"'quoted", "'quoted"},
	} {
		if got := csvCell(tc.in); got != tc.want {
			t.Errorf("csvCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
