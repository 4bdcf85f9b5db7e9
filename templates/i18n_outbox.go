package templates

import "newsletter/i18n"

// outboxCatalog holds the texts of the console's outbox search and pages:
// key -> {English, Russian}.
var outboxCatalog = map[string][2]string{
	"admin.outbox.search":             {"Recipient or subject", "Получатель или тема"},
	"admin.outbox.search.placeholder": {"part of an address or a subject", "часть адреса или темы"},
	"admin.outbox.found":              {"Messages found: %d.", "Найдено писем: %d."},
	"admin.outbox.page":               {"Page %d of %d", "Страница %d из %d"},
	"admin.prev":                      {"Previous page", "Предыдущая страница"},
}

func init() { i18n.Add(outboxCatalog) }
