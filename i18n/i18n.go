// Package i18n is the product's one text catalog: every text a person
// sees, by key, in English and Russian. It imports nothing of the product,
// so app (the validation messages, messages.go here) and templates (the
// pages and mail, which add their texts with Add) read the same catalog.
//
// A key is defined once: Add panics on a key already in the catalog, so a
// clash shows when the binary starts. Locales are "en" and "ru"; callers
// normalize them first (app.NormalizeLocale).
package i18n

import "sync"

var (
	mu      sync.RWMutex
	catalog = map[string][2]string{}
)

// Add puts texts (key -> {English, Russian}) into the catalog. It is called
// from package init functions; a key already defined panics.
func Add(texts map[string][2]string) {
	mu.Lock()
	defer mu.Unlock()
	for k, v := range texts {
		if _, dup := catalog[k]; dup {
			panic("i18n: text " + k + " is defined twice")
		}
		catalog[k] = v
	}
}

// Lookup returns the English and Russian texts of key.
func Lookup(key string) (texts [2]string, ok bool) {
	mu.RLock()
	defer mu.RUnlock()
	texts, ok = catalog[key]
	return texts, ok
}

// Text returns the text of key in locale: Russian for "ru" when it has
// one, else English. An unknown key is returned unchanged, so a missing
// text shows up instead of vanishing.
func Text(locale, key string) string {
	texts, ok := Lookup(key)
	if !ok {
		return key
	}
	if locale == "ru" && texts[1] != "" {
		return texts[1]
	}
	return texts[0]
}
