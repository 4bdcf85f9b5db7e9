package templates

// The texts of the printable export of a person's data, merged into the
// catalog.
var exportCatalog = map[string][2]string{
	"admin.subscriber.export_html": {"Printable export (HTML)", "Выгрузка для печати (HTML)"},
	"export.title":                 {"Your personal data", "Ваши персональные данные"},
	"export.lead":                  {"Everything %s holds about you: your details, your consents and how they were given, your requests and the mail sent to you.", "Всё, что хранит о вас %s: ваши данные, согласия и то, как они были даны, ваши обращения и отправленные вам письма."},
	"export.at":                    {"Prepared on %s.", "Подготовлено %s."},
	"export.json":                  {"Download the same data as a file (JSON)", "Скачать те же данные файлом (JSON)"},
	"export.person":                {"Your details", "Ваши данные"},
	"export.consents":              {"Consents", "Согласия"},
	"export.history":               {"History of consents", "История согласий"},
	"export.requests":              {"Requests", "Обращения"},
	"export.deliveries":            {"Mail sent to you", "Отправленные вам письма"},
	"export.none":                  {"None.", "Нет."},
	"export.yes":                   {"given", "дано"},
	"export.no":                    {"not given", "не дано"},
	"export.f.id":                  {"Subscriber number", "Номер подписчика"},
	"export.f.name":                {"Name", "Имя"},
	"export.f.email":               {"Email address", "Адрес электронной почты"},
	"export.f.phone":               {"Telephone", "Телефон"},
	"export.f.locale":              {"Language", "Язык"},
	"export.f.status":              {"Status", "Статус"},
	"export.f.block_reason":        {"Reason of the block", "Причина блокировки"},
	"export.f.created":             {"Created", "Создан"},
	"export.f.updated":             {"Last changed", "Последнее изменение"},
	"export.f.confirmed":           {"Address confirmed", "Адрес подтверждён"},
	"export.f.erased":              {"Erased", "Удалён"},
	"export.f.purpose":             {"Purpose", "Цель"},
	"export.f.granted":             {"Consent", "Согласие"},
	"export.f.when":                {"When", "Когда"},
	"export.f.event":               {"What happened", "Что произошло"},
	"export.f.channel":             {"Channel", "Канал"},
	"export.f.ip":                  {"IP address", "IP-адрес"},
	"export.f.ua":                  {"Browser (user agent)", "Браузер (user agent)"},
	"export.f.form":                {"Form", "Форма"},
	"export.f.page":                {"Page", "Страница"},
	"export.f.policy":              {"Version of the privacy policy", "Версия политики обработки персональных данных"},
	"export.f.request":             {"Request", "Обращение"},
	"export.f.text":                {"Text of the consent", "Текст согласия"},
	"export.f.kind":                {"Kind", "Вид"},
	"export.f.received":            {"Received", "Получено"},
	"export.f.due":                 {"Answer due", "Срок ответа"},
	"export.f.completed":           {"Completed", "Исполнено"},
	"export.f.details":             {"Details", "Подробности"},
	"export.f.verification":        {"Verified by", "Способ проверки"},
	"export.f.extended":            {"Reason of the extension", "Причина продления"},
	"export.f.flagged":             {"Flagged for review", "Отмечено для проверки"},
	"export.f.inbound":             {"Letter", "Письмо"},
	"export.f.campaign":            {"Campaign", "Рассылка"},
	"export.f.subject":             {"Subject", "Тема"},
	"export.f.sent":                {"Sent", "Отправлено"},
}

func init() {
	for k, v := range exportCatalog {
		if _, dup := catalog[k]; dup {
			panic("templates: text " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
