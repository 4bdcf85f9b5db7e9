package templates

// The texts of segments, the audience count, "send now" and templates,
// merged into the catalog.
var segmentCatalog = map[string][2]string{
	"admin.nav.segments":              {"Segments", "Сегменты"},
	"admin.segment.lead":              {"A segment narrows a campaign's audience by what we already hold about each person: language, when they subscribed, the form or import they came from, the cross-border consent. Each person is judged again when their message is sent.", "Сегмент сужает аудиторию рассылки по тому, что о человеке уже известно: язык, когда подписался, из какой формы или импорта пришёл, согласие на трансграничную передачу. Каждый человек проверяется заново в момент отправки его письма."},
	"admin.segment.name":              {"Name", "Название"},
	"admin.segment.filter":            {"Filter", "Условия"},
	"admin.segment.none_yet":          {"No segments yet.", "Сегментов пока нет."},
	"admin.segment.new":               {"New segment", "Новый сегмент"},
	"admin.segment.edit":              {"Edit segment", "Изменить сегмент"},
	"admin.segment.delete":            {"Delete", "Удалить"},
	"admin.segment.delete.confirm":    {"Delete this segment?", "Удалить этот сегмент?"},
	"admin.segment.locales":           {"Languages", "Языки"},
	"admin.segment.locales.hint":      {"None ticked: any language.", "Ничего не отмечено — любой язык."},
	"admin.segment.period":            {"Subscribed", "Подписались"},
	"admin.segment.from":              {"Subscribed from (date)", "Подписались с (дата)"},
	"admin.segment.until":             {"Subscribed until (date, included)", "Подписались по (дата включительно)"},
	"admin.segment.forms":             {"Forms", "Формы"},
	"admin.segment.forms.hint":        {"Form ids, separated by commas (the form field of an embedded form); empty: any.", "Идентификаторы форм через запятую (поле form встроенной формы); пусто — любые."},
	"admin.segment.imports":           {"Imports", "Импорты"},
	"admin.segment.imports.hint":      {"Import sources, separated by commas (the source column of the file); empty: any.", "Источники импорта через запятую (столбец source файла); пусто — любые."},
	"admin.segment.cross":             {"Cross-border consent", "Согласие на трансграничную передачу"},
	"admin.segment.cross.any":         {"Any", "Не важно"},
	"admin.segment.cross.granted":     {"Granted", "Дано"},
	"admin.segment.cross.not_granted": {"Not granted", "Не дано"},
	"admin.segment.everyone":          {"Everyone", "Все"},
	"admin.segment.none":              {"Everyone (no segment)", "Все (без сегмента)"},
	"admin.ok.segment_saved":          {"Segment saved.", "Сегмент сохранён."},
	"admin.ok.segment_deleted":        {"Segment deleted.", "Сегмент удалён."},
	"admin.campaign.segment":          {"Segment", "Сегмент"},
	"admin.campaign.segment.hint":     {"Who among the subscribers of the campaign's purpose gets it.", "Кто из подписчиков с нужным согласием получит рассылку."},
	"admin.campaign.sendnow":          {"Send now…", "Отправить сейчас…"},
	"admin.campaign.unschedule":       {"Back to draft", "Вернуть в черновики"},
	"admin.campaign.duplicate":        {"Duplicate", "Создать копию"},
	"admin.campaign.savetemplate":     {"Save as template", "Сохранить как шаблон"},
	"admin.campaign.fromtemplate":     {"New campaign from this template", "Новая рассылка по этому шаблону"},
	"admin.campaign.template":         {"Template", "Шаблон"},
	"admin.campaign.templates":        {"Templates", "Шаблоны"},
	"admin.ok.duplicated":             {"Copy made: a new draft.", "Копия создана: новый черновик."},
	"admin.ok.template_saved":         {"Saved as a template.", "Сохранено как шаблон."},
	"admin.ok.unschedule":             {"Back to draft: edit it and schedule it again.", "Рассылка снова черновик: измените её и запланируйте заново."},
	"admin.ok.sending":                {"Sending started.", "Отправка началась."},
	"admin.audience":                  {"Audience now", "Аудитория сейчас"},
	"admin.audience.total":            {"Would receive it", "Получат письмо"},
	"admin.audience.blocked":          {"Blocked", "Заблокированы"},
	"admin.audience.suppressed":       {"Suppressed", "В списке подавления"},
	"admin.audience.no_consent":       {"No consent", "Нет согласия"},
	"admin.audience.no_cross_border":  {"No cross-border consent", "Нет согласия на трансграничную передачу"},
	"admin.audience.newsletter":       {"Newsletter %s", "Список %s"},
	"admin.audience.hint":             {"Counted now by the rule that sends: people who opt out or are blocked before their message goes out are skipped then.", "Подсчитано сейчас по тому же правилу, что и отправка: тех, кто отпишется или будет заблокирован до отправки своего письма, пропустят."},
	"admin.send.title":                {"Send now?", "Отправить сейчас?"},
	"admin.send.count":                {"This campaign would go to %d people now.", "Сейчас эту рассылку получат человек: %d."},
	"admin.send.excluded":             {"Not sent to: %d blocked, %d suppressed, %d without consent, %d without cross-border consent.", "Не получат: заблокированы — %d, в списке подавления — %d, без согласия — %d, без согласия на трансграничную передачу — %d."},
	"admin.send.warning":              {"Sending starts at once and cannot be undone; it can be paused.", "Отправка начнётся сразу, отменить уже отправленное нельзя; отправку можно приостановить."},
	"admin.send.confirm":              {"Send to %d people", "Отправить (%d чел.)"},
}

func init() { mergeCatalog(segmentCatalog) }

// mergeCatalog adds the texts of one part to the catalog; a key defined
// twice is a programming error.
func mergeCatalog(part map[string][2]string) {
	for k, v := range part {
		if _, dup := catalog[k]; dup {
			panic("templates: text " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
