package templates

// The texts of the console's import and export page, merged into the
// catalog.
var importCatalog = map[string][2]string{
	"admin.nav.import":                   {"Import and export", "Импорт и экспорт"},
	"admin.import.lead":                  {"Upload a CSV file of people with their recorded consent, in the format of the newsletter import command. Check it first with a dry run: it writes nothing and lists the lines it would reject.", "Загрузите CSV-файл с людьми и записями об их согласии в формате команды newsletter import. Сначала проверьте его пробным прогоном: он ничего не записывает и показывает строки, которые будут отклонены."},
	"admin.import.file":                  {"CSV file", "CSV-файл"},
	"admin.import.hint":                  {"At most %d MB. Required columns: email, consent_at, consent_source; optional: name, phone, marketing, cross_border, ip, user_agent, locale, policy_version. Separator: comma, semicolon or tab.", "Не больше %d МБ. Обязательные столбцы: email, consent_at, consent_source; необязательные: name, phone, marketing, cross_border, ip, user_agent, locale, policy_version. Разделитель: запятая, точка с запятой или табуляция."},
	"admin.import.dryrun":                {"Dry run: check the file and write nothing", "Пробный прогон: проверить файл и ничего не записывать"},
	"admin.import.newsletters":           {"Newsletters the people join (none chosen: the default newsletter of each purpose they consented to)", "Рассылки, на которые подписать людей (если не выбрано: рассылка по умолчанию для каждой цели, на которую есть согласие)"},
	"admin.import.purpose.marketing":     {"advertising", "реклама"},
	"admin.import.purpose.informational": {"informational", "информационная"},
	"admin.import.default":               {"default", "по умолчанию"},
	"admin.import.submit":                {"Upload", "Загрузить"},
	"admin.import.nofile":                {"Choose a CSV file to upload.", "Выберите CSV-файл для загрузки."},
	"admin.import.toolarge":              {"The file is larger than %d MB. Split it into parts, or use the newsletter import command.", "Файл больше %d МБ. Разделите его на части или воспользуйтесь командой newsletter import."},
	"admin.import.recent":                {"Recent imports", "Последние импорты"},
	"admin.import.none":                  {"No imports yet.", "Импортов ещё не было."},
	"admin.import.job":                   {"Import #%d", "Импорт № %d"},
	"admin.import.kind":                  {"Kind", "Вид"},
	"admin.import.kind.dry":              {"dry run", "пробный прогон"},
	"admin.import.kind.real":             {"import", "импорт"},
	"admin.import.by":                    {"Started by", "Кто запустил"},
	"admin.import.rows":                  {"Rows", "Строк"},
	"admin.import.state":                 {"State", "Состояние"},
	"admin.import.status.running":        {"running", "выполняется"},
	"admin.import.status.done":           {"done", "завершён"},
	"admin.import.status.failed":         {"failed, nothing was imported", "ошибка, ничего не импортировано"},
	"admin.import.status.interrupted":    {"interrupted, nothing was imported", "прерван, ничего не импортировано"},
	"admin.import.progress":              {"Progress", "Ход импорта"},
	"admin.import.running":               {"The file is being read: %d rows so far. This page refreshes by itself.", "Файл читается: пока %d строк. Страница обновляется сама."},
	"admin.import.refresh":               {"Refresh", "Обновить"},
	"admin.import.drydone":               {"Dry run: nothing was written. To import the file, upload it again without the dry run.", "Пробный прогон: ничего не записано. Чтобы импортировать файл, загрузите его ещё раз без пробного прогона."},
	"admin.import.done":                  {"The file was imported in one transaction.", "Файл импортирован одной транзакцией."},
	"admin.import.failed":                {"The file was refused as a whole, and nothing was imported:", "Файл отклонён целиком, ничего не импортировано:"},
	"admin.import.interrupted":           {"The import stopped when its process did (a restart or a failure); its transaction was rolled back and nothing was imported. Upload the file again.", "Импорт остановился вместе со своим процессом (перезапуск или сбой); транзакция отменена, ничего не импортировано. Загрузите файл ещё раз."},
	"admin.import.read":                  {"Rows read", "Прочитано строк"},
	"admin.import.imported":              {"Imported", "Импортировано"},
	"admin.import.wouldimport":           {"Would be imported", "Будет импортировано"},
	"admin.import.existing":              {"Already on file (left unchanged)", "Уже есть (оставлены без изменений)"},
	"admin.import.suppressed":            {"Suppressed (skipped)", "В стоп-листе (пропущены)"},
	"admin.import.rejected":              {"Rejected", "Отклонено"},
	"admin.import.nocrossborder":         {"%d people lack the cross-border consent and get no mail through the configured mail servers abroad.", "У %d человек нет согласия на трансграничную передачу: письма через зарубежные почтовые серверы им не отправляются."},
	"admin.import.ignored":               {"Ignored columns: %s", "Пропущенные столбцы: %s"},
	"admin.import.rejections":            {"Rejected lines", "Отклонённые строки"},
	"admin.import.line":                  {"Line", "Строка"},
	"admin.import.reason":                {"Reason", "Причина"},
	"admin.import.more":                  {"… and %d more rejected lines.", "… и ещё %d отклонённых строк."},
	"admin.import.back":                  {"Back to import and export", "К импорту и экспорту"},
	"admin.export.title":                 {"Export", "Экспорт"},
	"admin.export.lead":                  {"Download every subscriber (the erased left out) with their consents as a CSV file. The download is recorded in the audit log.", "Скачать всех подписчиков (кроме удалённых) с их согласиями файлом CSV. Скачивание записывается в журнал аудита."},
	"admin.export.csv":                   {"Download subscribers (CSV)", "Скачать подписчиков (CSV)"},
}

func init() {
	for k, v := range importCatalog {
		if _, dup := catalog[k]; dup {
			panic("templates: text " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
