package templates

import "newsletter/i18n"

// archiveCatalog holds the texts of the public archive, of counted links
// and of the console's publishing options: key -> {English, Russian}.
var archiveCatalog = map[string][2]string{
	"archive.title":      {"Newsletter archive", "Архив рассылки"},
	"archive.lead":       {"Past issues of our newsletter, as they were sent, without anyone's personal data.", "Прошедшие выпуски рассылки в том виде, в каком они были отправлены, без чьих-либо персональных данных."},
	"archive.empty":      {"Nothing has been published yet.", "Пока ничего не опубликовано."},
	"archive.newer":      {"← Newer", "← Новее"},
	"archive.older":      {"Older →", "Старше →"},
	"archive.feed":       {"Atom feed", "Лента Atom"},
	"archive.feed.title": {"%s: newsletter archive", "%s: архив рассылки"},
	"archive.subscribe":  {"Subscribe", "Подписаться"},
	"archive.back":       {"← All issues", "← Все выпуски"},
	"archive.only":       {"published in %s only", "опубликовано только на языке: %s"},
	"archive.open":       {"Open the message on its own", "Открыть письмо отдельно"},
	"archive.lang.en":    {"English", "английский"},
	"archive.lang.ru":    {"Russian", "русский"},
	"archive.notfound":   {"This issue is not in the archive", "Этого выпуска нет в архиве"},
	"archive.notfound.text": {"It may never have been published, or it has been withdrawn.",
		"Возможно, он не публиковался или был снят с публикации."},
	"link.unknown": {"This link is unknown", "Неизвестная ссылка"},
	"link.unknown.text": {"The link is incomplete or was altered, so it leads nowhere. Copy it again from the message in full.",
		"Ссылка неполная или изменена, поэтому никуда не ведёт. Скопируйте её из письма целиком."},

	"admin.campaign.publishing":        {"Publishing", "Публикация"},
	"admin.campaign.archive":           {"Publish in the public archive once sent", "Опубликовать в открытом архиве после отправки"},
	"admin.campaign.archive.hint":      {"Shown at /archive and in its Atom feed with neutral values (“subscriber” for the name) and without the footer's personal links.", "Показывается на /archive и в ленте Atom с нейтральными значениями («подписчик» вместо имени) и без персональных ссылок подвала."},
	"admin.campaign.track_clicks":      {"Count clicks on links (in total, not per person)", "Считать переходы по ссылкам (всего, не по людям)"},
	"admin.campaign.track_clicks.hint": {"Links of the body go through this site, which adds one to the link's counter and redirects. No one's identity, address, IP or cookie is recorded; opens are not tracked; footer links are never counted.", "Ссылки из текста письма ведут через этот сайт: он прибавляет единицу к счётчику ссылки и перенаправляет. Ничья личность, адрес, IP или cookie не записываются; открытия писем не отслеживаются; ссылки подвала не считаются."},
	"admin.campaign.clicks":            {"Clicks per link", "Переходы по ссылкам"},
	"admin.campaign.clicks.none":       {"No link of the body has been counted yet.", "По ссылкам из письма пока не переходили."},
	"admin.campaign.clicks.url":        {"Link", "Ссылка"},
	"admin.campaign.clicks.count":      {"Clicks", "Переходы"},
	"admin.campaign.archive.on":        {"In the public archive", "В открытом архиве"},
	"admin.campaign.archive.publish":   {"Publish in the archive", "Опубликовать в архиве"},
	"admin.campaign.archive.withdraw":  {"Withdraw from the archive", "Снять с публикации"},
	"admin.campaign.archive.later":     {"Appears in the archive when sending has finished.", "Появится в архиве, когда отправка завершится."},
	"admin.campaign.archive.off":       {"Not in the public archive.", "Не опубликована в открытом архиве."},
	"admin.campaign.archive.cancelled": {"Marked for the archive, but a cancelled campaign is never shown there.", "Отмечена для архива, но отменённая рассылка там не показывается."},
	"admin.campaign.archive.draft":     {"A draft is published by the checkbox of its form; it appears in the archive once sent.", "Черновик публикуется флажком в его форме; в архиве он появится после отправки."},
	"admin.ok.archived":                {"The campaign is published in the archive.", "Рассылка опубликована в архиве."},
	"admin.ok.unarchived":              {"The campaign is withdrawn from the archive.", "Рассылка снята с публикации в архиве."},
}

func init() { i18n.Add(archiveCatalog) }
