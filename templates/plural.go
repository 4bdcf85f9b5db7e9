package templates

import "fmt"

// Days writes a number of days out in a language: "1 day", "5 days";
// "1 день", "2 дня", "5 дней", "21 день".
func Days(locale string, n int) string {
	if normLocale(locale) == "ru" {
		return fmt.Sprintf("%d %s", n, ruPlural(n, "день", "дня", "дней"))
	}
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// ruPlural picks the Russian form of a noun after the number n: one (1,
// 21, 101), few (2-4, 22-24) or many (0, 5-20, 25...).
func ruPlural(n int, one, few, many string) string {
	if n < 0 {
		n = -n
	}
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	default:
		return many
	}
}
