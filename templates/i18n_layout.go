package templates

// The texts of the mail layout's footer and of the console's layout page,
// merged into the catalog.
var layoutCatalog = map[string][2]string{
	"layout.why.marketing": {"You receive this email because you subscribed to news and offers from %s.", "Вы получили это письмо, потому что подписались на новости и предложения %s."},
	"layout.why.service":   {"You receive this email because you use the services of %s.", "Вы получили это письмо, потому что пользуетесь услугами %s."},
	"layout.unsubscribe":   {"Unsubscribe", "Отписаться"},
	"layout.preferences":   {"Manage your preferences", "Настройки подписки"},
	"layout.privacy":       {"Privacy policy", "Политика обработки персональных данных"},

	"admin.nav.layout":             {"Mail layout", "Оформление писем"},
	"admin.ok.layout_saved":        {"The layout is saved.", "Оформление сохранено."},
	"admin.layout.title":           {"Mail layout", "Оформление писем"},
	"admin.layout.lead":            {"Every HTML message (campaigns, confirmations, answers) is written in this layout. Each language has its own. The footer with the unsubscribe link, the reason the person gets the mail and your name and address is always added; the text below goes under it.", "Все HTML-письма (рассылки, подтверждения, ответы) оформляются по этому макету. У каждого языка свой. Подвал со ссылкой для отписки, причиной получения письма и вашими названием и адресом добавляется всегда; текст ниже ставится под ним."},
	"admin.layout.lang":            {"Language", "Язык"},
	"admin.layout.lang.en":         {"English", "Английский"},
	"admin.layout.lang.ru":         {"Russian", "Русский"},
	"admin.layout.logo":            {"Logo address (https, an image about 40 px high; empty: no logo)", "Адрес логотипа (https, изображение высотой около 40 px; пусто — без логотипа)"},
	"admin.layout.brand":           {"Brand colour (band, buttons, links)", "Фирменный цвет (полоса, кнопки, ссылки)"},
	"admin.layout.background":      {"Background colour", "Цвет фона"},
	"admin.layout.footer":          {"Footer text (plain text, up to 500 characters)", "Текст подвала (простой текст, до 500 символов)"},
	"admin.layout.save":            {"Save the layout", "Сохранить оформление"},
	"admin.layout.preview":         {"Preview", "Предпросмотр"},
	"admin.layout.preview.title":   {"Preview of a campaign in this layout", "Предпросмотр рассылки в этом оформлении"},
	"admin.layout.sample.subject":  {"Our news this month", "Наши новости за месяц"},
	"admin.layout.sample.body":     {"This is how a campaign looks in your layout. The text of a campaign goes here, with its headings, pictures and links.", "Так рассылка выглядит в вашем оформлении. Здесь стоит текст рассылки с заголовками, картинками и ссылками."},
	"admin.layout.sample.greeting": {"Hello, Anna!", "Здравствуйте, Анна!"},
}

func init() {
	for k, v := range layoutCatalog {
		catalog[k] = v
	}
}
