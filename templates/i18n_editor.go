package templates

import "newsletter/i18n"

// editorCatalog holds the texts of the campaign editor: key -> {English,
// Russian}.
var editorCatalog = map[string][2]string{
	"admin.editor.format":             {"Format", "Формат"},
	"admin.editor.format.markdown":    {"Markdown", "Markdown"},
	"admin.editor.format.html":        {"HTML", "HTML"},
	"admin.editor.format.hint":        {"Markdown: # Heading, **bold**, *italic*, [link text](https://…), lists with -, an empty line between paragraphs; HTML tags in Markdown are left out. HTML: the body as written.", "Markdown: # Заголовок, **жирный**, *курсив*, [текст ссылки](https://…), списки через -, пустая строка между абзацами; HTML-теги в Markdown не выводятся. HTML: текст письма как написан."},
	"admin.editor.locale":             {"Default language", "Основной язык"},
	"admin.editor.locale.each":        {"English; footer in each recipient's language", "Английский; подвал на языке получателя"},
	"admin.editor.locale.hint":        {"Each subscriber gets the version in their language; those whose language has no version get the default one.", "Каждый подписчик получает версию на своём языке; те, для чьего языка версии нет, получают основную."},
	"admin.editor.lang.en":            {"English", "Английский"},
	"admin.editor.lang.ru":            {"Russian", "Русский"},
	"admin.editor.default":            {"default", "основной"},
	"admin.editor.optional":           {"optional: leave empty and these subscribers get the default language", "необязательно: если оставить пустым, эти подписчики получат основной язык"},
	"admin.editor.body":               {"Body", "Текст письма"},
	"admin.editor.body.placeholder":   {"# Hello, {{.Name}}!", "# Здравствуйте, {{.Name}}!"},
	"admin.editor.insert":             {"Insert a merge field", "Вставить поле подстановки"},
	"admin.editor.insert.name":        {"Name", "Имя"},
	"admin.editor.insert.unsubscribe": {"Unsubscribe link", "Ссылка для отписки"},
	"admin.editor.insert.preferences": {"Preferences link", "Ссылка на настройки"},
	"admin.editor.insert.ifname":      {"If there is a name", "Если имя известно"},
	"admin.editor.preview.title":      {"Preview: %s", "Предпросмотр: %s"},
	"admin.editor.preview.button":     {"Show preview", "Показать предпросмотр"},
	"admin.editor.preview.hint":       {"As a subscriber named in the sample gets it, in the mail's layout with its footer. It follows your typing; the button shows it without script.", "Так письмо получит подписчик из примера, в оформлении письма с подвалом. Предпросмотр обновляется по мере ввода; кнопка показывает его и без скриптов."},
	"admin.editor.preview.errors":     {"The campaign has errors", "В рассылке есть ошибки"},
	"admin.editor.preview.failed":     {"The preview could not be made.", "Не удалось построить предпросмотр."},
	"admin.editor.textpart":           {"Text part of the default language (optional)", "Текстовая часть основного языка (необязательно)"},
	"admin.editor.field.name":         {"Name", "Название"},
	"admin.editor.field.subject":      {"Subject", "Тема"},
	"admin.editor.field.body":         {"Body", "Текст письма"},
	"admin.editor.field.body_html":    {"Body", "Текст письма"},
	"admin.editor.field.body_text":    {"Text part", "Текстовая часть"},
	"admin.editor.field.format":       {"Format", "Формат"},
	"admin.editor.field.locale":       {"Default language", "Основной язык"},
	"admin.editor.field.purpose":      {"Purpose", "Назначение"},
}

func init() { i18n.Add(editorCatalog) }
