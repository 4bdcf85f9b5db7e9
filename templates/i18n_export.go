package templates

// The texts of the printable export of a person's data, merged into the
// catalog.
var exportCatalog = map[string][2]string{
	"admin.subscriber.export_html":   {"Printable export (HTML)", "Выгрузка для печати (HTML)"},
	"export.title":                   {"Your personal data", "Ваши персональные данные"},
	"export.lead":                    {"Everything %s holds about you: your details, your consents and how they were given, your requests and the mail sent to you.", "Всё, что хранит о вас %s: ваши данные, согласия и то, как они были даны, ваши обращения и отправленные вам письма."},
	"export.at":                      {"Prepared on %s.", "Подготовлено %s."},
	"export.json":                    {"Download the same data as a file (JSON)", "Скачать те же данные файлом (JSON)"},
	"export.person":                  {"Your details", "Ваши данные"},
	"export.consents":                {"Consents", "Согласия"},
	"export.history":                 {"History of consents", "История согласий"},
	"export.requests":                {"Requests", "Обращения"},
	"export.deliveries":              {"Mail sent to you", "Отправленные вам письма"},
	"export.none":                    {"None.", "Нет."},
	"export.yes":                     {"given", "дано"},
	"export.no":                      {"not given", "не дано"},
	"export.f.id":                    {"Subscriber number", "Номер подписчика"},
	"export.f.name":                  {"Name", "Имя"},
	"export.f.email":                 {"Email address", "Адрес электронной почты"},
	"export.f.phone":                 {"Telephone", "Телефон"},
	"export.f.locale":                {"Language", "Язык"},
	"export.f.status":                {"Status", "Статус"},
	"export.f.block_reason":          {"Reason of the block", "Причина блокировки"},
	"export.f.created":               {"Created", "Создан"},
	"export.f.updated":               {"Last changed", "Последнее изменение"},
	"export.f.confirmed":             {"Address confirmed", "Адрес подтверждён"},
	"export.f.erased":                {"Erased", "Удалён"},
	"export.f.purpose":               {"Purpose", "Цель"},
	"export.f.granted":               {"Consent", "Согласие"},
	"export.f.when":                  {"When", "Когда"},
	"export.f.event":                 {"What happened", "Что произошло"},
	"export.f.channel":               {"Channel", "Канал"},
	"export.f.ip":                    {"IP address", "IP-адрес"},
	"export.f.ua":                    {"Browser (user agent)", "Браузер (user agent)"},
	"export.f.form":                  {"Form", "Форма"},
	"export.f.page":                  {"Page", "Страница"},
	"export.f.policy":                {"Version of the privacy policy", "Версия политики обработки персональных данных"},
	"export.f.request":               {"Request", "Обращение"},
	"export.f.text":                  {"Text of the consent", "Текст согласия"},
	"export.f.kind":                  {"Kind", "Вид"},
	"export.f.received":              {"Received", "Получено"},
	"export.f.due":                   {"Answer due", "Срок ответа"},
	"export.f.completed":             {"Completed", "Исполнено"},
	"export.f.details":               {"Details", "Подробности"},
	"export.f.verification":          {"Verified by", "Способ проверки"},
	"export.f.extended":              {"Reason of the extension", "Причина продления"},
	"export.f.flagged":               {"Flagged for review", "Отмечено для проверки"},
	"export.f.inbound":               {"Letter", "Письмо"},
	"export.f.campaign":              {"Campaign", "Рассылка"},
	"export.f.subject":               {"Subject", "Тема"},
	"export.f.sent":                  {"Sent", "Отправлено"},
	"export.expired.title":           {"This link has expired", "Срок действия ссылки истёк"},
	"export.expired.text":            {"The link to your data works for a limited time, and only while the address it was sent to stays on file. Ask us again for your data, or open your preference centre from any of our messages.", "Ссылка на ваши данные действует ограниченное время и только пока адрес, на который она отправлена, указан в подписке. Запросите данные у нас ещё раз или откройте настройки подписки из любого нашего письма."},
	"admin.subscriber.export_mail":   {"Mail the export to the person", "Отправить выгрузку человеку"},
	"admin.request.export_mail.hint": {"To answer an access request, mail the person a link to everything held about them (valid 7 days).", "Чтобы ответить на запрос сведений, отправьте человеку ссылку на все хранящиеся о нём данные (действует 7 дней)."},
	"admin.ok.export_mailed":         {"A link to the export is on its way to the address on file.", "Ссылка на выгрузку отправляется на адрес, указанный в подписке."},
	"mail.export.subject":            {"Your personal data", "Ваши персональные данные"},
	"mail.export.text":               {"As asked, here is the link to everything %s holds about you: your details, your consents, your requests and the mail sent to you. The page can be printed, and the same data downloaded as a file.", "По вашему запросу направляем ссылку на всё, что хранит о вас %s: ваши данные, согласия, обращения и отправленные вам письма. Страницу можно распечатать, а те же данные — скачать файлом."},
	"mail.export.button":             {"Open my data", "Открыть мои данные"},
	"mail.export.validity":           {"The link works for %s, and only while this address stays on file. Do not forward this message: the link opens your personal data.", "Ссылка действует %s и только пока этот адрес указан в подписке. Не пересылайте это письмо: по ссылке открываются ваши персональные данные."},
}

func init() {
	for k, v := range exportCatalog {
		if _, dup := catalog[k]; dup {
			panic("templates: text " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
