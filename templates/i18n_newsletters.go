package templates

// newslettersCatalog holds the texts of newsletters: the choice on the form
// and in the preference centre, leaving one from the unsubscribe page and
// by mail, and the console's page: key -> {English, Russian}.
var newslettersCatalog = map[string][2]string{
	"admin.kind.newsletter_left":              {"left the newsletter", "отписка от рассылки"},
	"admin.channel.consent":                   {"with a consent", "вместе с согласием"},
	"admin.channel.migration":                 {"when newsletters were introduced", "при введении рассылок"},
	"unsub.newsletter.title":                  {"This newsletter", "Эта рассылка"},
	"unsub.newsletter.quoted":                 {"“%s”", "«%s»"},
	"unsub.newsletter.button":                 {"Leave %s", "Отписаться от %s"},
	"unsub.newsletter.hint":                   {"Only the newsletter this message came from stops; your other newsletters and your consents stay as they are.", "Прекратятся только письма рассылки, из которой пришло это письмо; другие ваши рассылки и согласия останутся как есть."},
	"unsub.marketing.title":                   {"All advertising", "Вся реклама"},
	"unsub.left.title":                        {"You left the newsletter", "Вы отписались от рассылки"},
	"unsub.left.text":                         {"We send you nothing more from this newsletter. Your other newsletters continue; to stop them too, use the other choices of the unsubscribe page.", "Мы больше не пришлём вам писем этой рассылки. Другие рассылки продолжат приходить; чтобы прекратить и их, выберите другой вариант на странице отписки."},
	"admin.nav.newsletters":                   {"Newsletters", "Списки рассылки"},
	"admin.newsletters.lead":                  {"The lists people choose on the form and in the preference centre, and campaigns go to. A newsletter's purpose names the consent its mail needs: marketing the consent to advertising, informational the consent to processing.", "Списки, которые люди выбирают в форме подписки и на странице настроек и в которые уходят рассылки. Назначение списка определяет нужное согласие: реклама — согласие на рекламу, информационный — согласие на обработку данных."},
	"admin.newsletters.saved":                 {"Newsletter saved.", "Список рассылки сохранён."},
	"admin.newsletters.name":                  {"Name", "Название"},
	"admin.newsletters.description.en":        {"Description in English", "Описание на английском"},
	"admin.newsletters.description.ru":        {"Description in Russian", "Описание на русском"},
	"admin.newsletters.purpose":               {"Purpose", "Назначение"},
	"admin.newsletters.purpose.marketing":     {"Marketing (advertising consent)", "Реклама (согласие на рекламу)"},
	"admin.newsletters.purpose.informational": {"Informational (processing consent)", "Информационный (согласие на обработку)"},
	"admin.newsletters.public":                {"Offered on the form and in the preference centre", "Предлагать в форме подписки и на странице настроек"},
	"admin.newsletters.offered":               {"Offered", "Предлагается"},
	"admin.newsletters.yes":                   {"yes", "да"},
	"admin.newsletters.no":                    {"no", "нет"},
	"admin.newsletters.default":               {"default", "по умолчанию"},
	"admin.newsletters.edit":                  {"Edit", "Изменить"},
	"admin.newsletters.save":                  {"Save", "Сохранить"},
	"admin.newsletters.new":                   {"New newsletter", "Новый список рассылки"},
	"admin.newsletters.create":                {"Create newsletter", "Создать список"},
	"admin.newsletters.rules":                 {"Whoever consents without choosing joins the default newsletter of that consent; campaigns that name no newsletter go to the default of their purpose. A default newsletter keeps its purpose.", "Кто даёт согласие, ничего не выбрав, попадает в список по умолчанию для этого согласия; рассылки без выбранных списков уходят в список по умолчанию своего назначения. Назначение списка по умолчанию не меняется."},
	"admin.subscriber.newsletters":            {"Newsletters", "Списки рассылки"},
	"admin.subscriber.newsletter":             {"Newsletter", "Список"},
	"admin.subscriber.nl.joined":              {"Joined", "Подписка"},
	"admin.subscriber.nl.left":                {"Left", "Отписка"},
	"admin.subscriber.nl.member":              {"member", "подписан"},
	"admin.subscriber.nl.former":              {"left", "отписан"},
	"admin.subscriber.nl.none":                {"On no newsletter.", "Ни в одном списке."},
	"admin.subscriber.nl.history":             {"Joins and leaves", "Подписки и отписки"},
	"admin.subscriber.nl.source":              {"Source", "Источник"},
	"admin.subscriber.nl.request":             {"request #%d", "запрос № %d"},
	"admin.subscriber.nl.campaign":            {"from campaign #%d", "из рассылки № %d"},
	"admin.nl.joined":                         {"joined", "подписка"},
	"admin.nl.left":                           {"left", "отписка"},
	"admin.campaign.newsletters":              {"Newsletters", "Списки рассылки"},
	"admin.campaign.newsletters.hint":         {"The campaign goes to the people on any of these (of its purpose); none ticked: the default newsletter of its purpose.", "Рассылка уходит людям из любого из этих списков (её назначения); если ничего не отмечено — в список по умолчанию её назначения."},
	"newsletters.legend":                      {"Newsletters", "Рассылки"},
	"newsletters.hint":                        {"Choose what you want to receive. Without a choice you get the newsletter of each consent you give.", "Выберите, что хотите получать. Если ничего не выбрать, вы будете получать рассылку по каждому данному согласию."},
	"newsletters.ads":                         {"advertising: needs the consent to advertising", "реклама: нужно согласие на получение рекламы"},
	"reply.left.subject":                      {"You left the newsletter", "Вы отписаны от этой рассылки"},
	"reply.left.text":                         {"From now on we send you nothing more from the newsletter that message came from. Your other newsletters and consents stay as they were.", "С этого момента мы больше не присылаем вам письма той рассылки, из которой пришло это письмо. Другие ваши рассылки и согласия остаются как были."},
}

func init() {
	for k, v := range newslettersCatalog {
		catalog[k] = v
	}
}
