package i18n

import (
	"fmt"
	"reflect"
	"strconv"
)

// The use cases (package app) and the web layer answer in English, which
// the API keeps as its contract; an *app.Error remembers the format its
// message was made of and the arguments. The console and the public pages
// show such a message in the reader's language: the catalog holds the
// Russian of each format (key "msg:" and the English format), and the
// Russian of the words an argument may be (a campaign's status, a
// purpose; key "word:"), some only at one place of one format (the action
// a campaign refuses). Message puts them together; nothing is parsed.

func init() {
	Add(keyed(appMessages, func(en string) string { return messageKey(en) }))
	Add(keyed(appWords, func(w string) string { return wordKey("", 0, w) }))
	Add(keyed(campaignActions, func(w string) string { return wordKey(refusedAction, 2, w) }))
}

// Message returns the message made from format and args in locale, and
// whether the catalog has it: for "ru", the Russian of format filled with
// args, each argument that is a word of the catalog in its Russian. For
// another locale, or a format the catalog lacks, ok is false: the caller
// keeps its English.
func Message(locale, format string, args ...any) (msg string, ok bool) {
	texts, ok := Lookup(messageKey(format))
	if !ok || locale != "ru" || texts[1] == "" {
		return "", false
	}
	ru := make([]any, len(args))
	for i, a := range args {
		ru[i] = word(format, i+1, a)
	}
	return fmt.Sprintf(texts[1], ru...), true
}

// MessageText returns text, a message written out whole (no format), in
// locale, and whether the catalog has it: its Russian for "ru".
func MessageText(locale, text string) (msg string, ok bool) {
	texts, ok := Lookup(messageKey(text))
	if !ok || locale != "ru" || texts[1] == "" {
		return "", false
	}
	return texts[1], true
}

// HasMessage reports whether the catalog has the Russian of format.
func HasMessage(format string) bool {
	texts, ok := Lookup(messageKey(format))
	return ok && texts[1] != ""
}

// word is the Russian of arg, the argument at position pos (from 1) of a
// message made from format, when it is a word of the catalog: first the
// word at that place, then the word anywhere. Other arguments are kept.
func word(format string, pos int, arg any) any {
	v := reflect.ValueOf(arg)
	if !v.IsValid() || v.Kind() != reflect.String {
		return arg
	}
	for _, k := range []string{wordKey(format, pos, v.String()), wordKey("", 0, v.String())} {
		if texts, ok := Lookup(k); ok && texts[1] != "" {
			return texts[1]
		}
	}
	return arg
}

// messageKey is the catalog key of the message made from format.
func messageKey(format string) string { return "msg:" + format }

// wordKey is the catalog key of a word an argument may be: anywhere
// (format ""), or at position pos of the messages made from format.
func wordKey(format string, pos int, w string) string {
	if format == "" {
		return "word:" + w
	}
	return "word:" + format + "#" + strconv.Itoa(pos) + ":" + w
}

// keyed gives each English text its catalog key, with its Russian.
func keyed(texts map[string]string, key func(string) string) map[string][2]string {
	out := make(map[string][2]string, len(texts))
	for en, ru := range texts {
		out[key(en)] = [2]string{en, ru}
	}
	return out
}

// refusedAction is the message of a campaign refusing an action; its
// second argument is the action (campaignActions).
const refusedAction = "A %s campaign cannot be %s."

// appWords are the values a message of the use cases may name.
var appWords = map[string]string{
	"draft": "черновик", "scheduled": "запланирована", "running": "отправляется", "paused": "приостановлена",
	"finished": "завершена", "cancelled": "отменена", "marketing": "реклама", "informational": "информационная",
	"markdown": "Markdown", "html": "HTML",
}

// campaignActions are the actions a campaign may refuse, the second
// argument of refusedAction.
var campaignActions = map[string]string{
	"cancelled": "отменить", "paused": "приостановить", "resumed": "возобновить", "retried": "отправить повторно",
	"scheduled": "запланировать", "taken back to draft": "вернуть в черновики",
}

// appMessages are the messages of the use cases and of the web layer,
// English format -> Russian format (the same verbs, in the same order).
var appMessages = map[string]string{
	// The console's forms and pages.
	"Something went wrong on our side. Please try again later.":             "Что-то пошло не так на нашей стороне. Пожалуйста, попробуйте позже.",
	"The service is temporarily unavailable. Please try again in a minute.": "Сервис временно недоступен. Пожалуйста, попробуйте через минуту.",
	"required":                                   "обязательное поле",
	"at least %d characters":                     "не короче %d символов",
	"at least 10 characters":                     "не короче 10 символов",
	"at most %d characters":                      "не длиннее %d символов",
	"at most %d bytes":                           "не больше %d байт",
	"must be one line":                           "только в одну строку",
	"1 to 100 characters":                        "от 1 до 100 символов",
	"invalid email":                              "Неверный адрес электронной почты.",
	"not an email address":                       "это не адрес электронной почты",
	"invalid role":                               "Неверная роль.",
	"must be owner, marketer or privacy_officer": "владелец, маркетолог или ответственный за персональные данные",
	"password too short":                         "Пароль слишком короткий.",
	"invalid policy":                             "Политика заполнена неверно.",
	"invalid token":                              "Токен заполнен неверно.",
	"a short name without spaces or slashes, e.g. 2026-12": "короткое название без пробелов и косых черт, например 2026-12",
	"The segment has errors.":                              "В сегменте есть ошибки.",

	// Accounts, passwords and sign-in.
	"Change your own password on the password page.":                    "Свой пароль меняйте на странице пароля.",
	"Choose a password you have not used here.":                         "Выберите пароль, который вы здесь ещё не использовали.",
	"Give the token a name.":                                            "Дайте токену название.",
	"The current password is wrong.":                                    "Текущий пароль указан неверно.",
	"The new password is too long.":                                     "Новый пароль слишком длинный.",
	"The new password is too short.":                                    "Новый пароль слишком короткий.",
	"The two new passwords differ.":                                     "Два новых пароля не совпадают.",
	"Too many failed sign-ins from here: wait a while and try again.":   "Слишком много неудачных попыток входа отсюда: подождите и попробуйте снова.",
	"Wrong email or password.":                                          "Неверный адрес или пароль.",
	"You cannot change your own role.":                                  "Нельзя изменить собственную роль.",
	"You cannot delete your own account.":                               "Нельзя удалить собственную учётную запись.",
	"does not match":                                                    "не совпадает",
	"not signed in":                                                     "вход не выполнен",
	"same as the current one":                                           "совпадает с текущим",
	"session expired":                                                   "сеанс истёк",
	"unknown language":                                                  "неизвестный язык",
	"wrong password":                                                    "неверный пароль",
	"Your sign-in has expired: enter your password again.":              "Время входа истекло: введите пароль ещё раз.",
	"no admin has this email":                                           "нет администратора с таким адресом",
	"Owners require two-factor sign-in: it cannot be turned off.":       "Владельцам нужен двухфакторный вход: его нельзя отключить.",
	"There is no enrolment to confirm: open the two-factor page again.": "Нечего подтверждать: откройте страницу двухфакторного входа заново.",
	"This admin has no two-factor sign-in to reset.":                    "У этого администратора нет двухфакторного входа, который можно сбросить.",
	"Two-factor sign-in is off: there are no recovery codes to renew.":  "Двухфакторный вход отключён: резервных кодов, которые можно обновить, нет.",
	"Turn on two-factor sign-in for your own account first.":            "Сначала включите двухфакторный вход для своей учётной записи.",
	"Turn your own two-factor off on the two-factor page.":              "Свой двухфакторный вход отключайте на странице двухфакторного входа.",
	"Two-factor sign-in is already on.":                                 "Двухфакторный вход уже включён.",
	"Wrong code, or a code already used.":                               "Неверный или уже использованный код.",
	"wrong or already used":                                             "неверный или уже использован",

	// Subscribers, blocks, suppressions.
	"An erased subscriber cannot be blocked.":                                                       "Удалённого подписчика нельзя заблокировать.",
	"The subscriber is erased.":                                                                     "Данные подписчика удалены.",
	"The person's data is erased: there is no address to mail the export to.":                       "Данные человека удалены: некуда отправить выгрузку.",
	"Only manual suppressions can be removed; this one (%s) is lifted by the person's new consent.": "Удалить можно только исключение, добавленное вручную; это (%s) снимается новым согласием человека.",
	"Only manual suppressions can be removed; this one (%s) is lifted with a reason.":               "Удалить можно только исключение, добавленное вручную; это (%s) снимается с указанием причины.",
	"The address is not on the suppression list.":                                                   "Этого адреса нет в списке исключений.",
	"an address or its hash":                                                                        "адрес или его хеш",
	"invalid suppression":                                                                           "Исключение заполнено неверно.",
	"An erasure's suppression is lifted only by the person's new confirmed consent.":                "Исключение после удаления данных снимается только новым подтверждённым согласием человека.",
	"A reason is required.":                                                                         "Укажите причину.",
	"The reason is not valid text.":                                                                 "Причина — не текст.",
	"The reason is too long.":                                                                       "Причина слишком длинная.",
	"not UTF-8":                                                                                     "не в кодировке UTF-8",

	// Campaigns.
	"A template is not sent; start a campaign from it.":    "Шаблон не отправляется; создайте из него рассылку.",
	"Only a draft can be edited; this campaign is %s.":     "Изменять можно только черновик; статус этой рассылки: %s.",
	"The campaign has errors.":                             "В рассылке есть ошибки.",
	"must be en, ru or empty (each recipient's language)":  "en, ru или пусто (язык каждого получателя)",
	"must be marketing or informational":                   "реклама или информационная",
	"required: marketing or informational":                 "обязательно: реклама или информационная",
	refusedAction:                                          "Рассылку со статусом «%s» нельзя %s.",
	"no such segment":                                      "такого сегмента нет",
	"campaign not found":                                   "Рассылка не найдена.",
	"This link is unknown.":                                "Эта ссылка неизвестна.",
	"The campaign's templates have errors.":                "В шаблонах рассылки есть ошибки.",
	"Unknown list.":                                        "Неизвестный список.",
	"failed, bounced, complaints, unsubscribed or skipped": "failed, bounced, complaints, unsubscribed или skipped",
	"must be markdown or html":                             "должен быть markdown или html",
	"required: a markdown campaign's body is body":         "обязательное поле: текст письма в Markdown",
	"required: a html campaign's body is body_html":        "обязательное поле: текст письма в HTML",
	"must be one of: en, ru":                               "допустимы только en и ru",
	"required: a %s campaign's body is %s":                 "обязательно: текст рассылки в формате %s — поле %s",
	"The HTML cannot be laid out with its footer.":         "HTML нельзя сверстать вместе с подвалом.",
	"The HTML has no body.":                                "В HTML нет тела (body).",
	"The HTML uses an element mail cannot have.":           "В HTML есть элемент, недопустимый в письме.",
	"the HTML has no body":                                 "в HTML нет тела (body)",
	"the HTML must have a body (a frameset is not mail)":   "в HTML должно быть тело (body); frameset — не письмо",
	"the HTML's structure keeps the footer from standing after it; simplify the markup": "структура HTML не даёт поставить подвал после текста; упростите разметку",
	"Test sends are not available in this process.":                                     "Тестовая отправка недоступна в этом процессе.",
	"Test sends cannot be counted just now; please try again in a minute.":              "Тестовые отправки сейчас невозможно подсчитать; попробуйте через минуту.",
	"You have sent %d tests in the last hour; please wait before sending more.":         "За последний час вы отправили тестовых писем: %d; подождите, прежде чем отправлять ещё.",
	"Only the owner can change the mail layout.":                                        "Оформление писем может менять только владелец.",
	"The layout has errors.":                                                      "В оформлении есть ошибки.",
	"a colour is written #rrggbb, for example #1f5fbf":                            "цвет записывается как #rrggbb, например #1f5fbf",
	"a colour is written #rrggbb, for example #f3f4f6":                            "цвет записывается как #rrggbb, например #f3f4f6",
	"the address has characters an address cannot have":                           "в адресе есть недопустимые символы",
	"the address is too long":                                                     "адрес слишком длинный",
	"the logo must be an https address, for example https://example.com/logo.png": "логотип должен быть по адресу https, например https://example.com/logo.png",
	"the text is longer than 500 characters":                                      "текст длиннее 500 символов",
	"the text is not valid UTF-8":                                                 "текст не в кодировке UTF-8",

	// Newsletters and segments.
	"Only an owner can change newsletters.":        "Списки рассылки может менять только владелец.",
	"The newsletter has errors.":                   "В списке рассылки есть ошибки.",
	"a default newsletter keeps its purpose":       "список по умолчанию сохраняет своё назначение",
	"newsletter %d is %s; this campaign is %s":     "назначение списка %d — %s, а этой рассылки — %s",
	"there is no newsletter %d":                    "списка %d нет",
	"The subscription is not active.":              "Подписка не активна.",
	"This message was sent for no newsletter.":     "Это письмо отправлено не от списка рассылки.",
	"Unknown choice.":                              "Неизвестный вариант.",
	"a source id has at most 200 characters":       "идентификатор источника — не длиннее 200 символов",
	"at most %d sources":                           "не больше %d источников",
	"each language must be en or ru":               "каждый язык — en или ru",
	"each source's kind must be form or import":    "вид каждого источника — form или import",
	"must be after subscribed_from":                "должно быть позже начала периода",
	"The newsletters must be chosen by their ids.": "Списки рассылки выбираются по их номерам.",

	// Import.
	"newsletter %d does not exist; nothing was imported":     "списка рассылки %d нет; ничего не импортировано",
	"line %d: broken CSV (%v); nothing was imported":         "строка %d: повреждённый CSV (%v); ничего не импортировано",
	"the file is empty: it needs a header row":               "файл пуст: нужна строка заголовка",
	"the header lacks the required column(s) %s (found: %s)": "в заголовке нет обязательных столбцов %s (найдены: %s)",
	"the header names the %s column twice":                   "в заголовке дважды указан столбец %s",
	"the header row is not valid CSV: %v":                    "строка заголовка — не CSV: %v",

	// Requests and the inbound mailbox.
	"The message is empty.":                                                             "Письмо пустое.",
	"The message is larger than %d bytes.":                                              "Письмо больше %d байт.",
	"Only access requests can be extended.":                                             "Продлить можно только запрос на доступ.",
	"The request has been extended already.":                                            "Срок запроса уже продлён.",
	"The request has no deadline.":                                                      "У запроса нет срока.",
	"The request is closed already.":                                                    "Запрос уже закрыт.",
	"The request is closed.":                                                            "Запрос закрыт.",
	"The answer must be text of at most %d characters.":                                 "Ответ — текст не длиннее %d символов.",
	"The person's data is erased: there is no address to answer.":                       "Данные человека удалены: некуда отправить ответ.",
	"The request is not linked to a subscriber: there is no address on file to answer.": "Запрос не связан с подписчиком: нет адреса для ответа.",
	"Write the answer.":                                                                 "Напишите ответ.",
	"access, data_update or unknown (erase a subscriber to register a revocation)":      "доступ, изменение данных или неизвестно (чтобы зарегистрировать отзыв, удалите данные подписчика)",
	"each kind once":                                                                    "каждый вид — один раз",
	"email, web, admin, api, phone, paper or in_person":                                 "письмо, сайт, консоль, API, телефон, письмо на бумаге или лично",
	"invalid request":                                                                   "Запрос заполнен неверно.",
	"required for data_update":                                                          "обязательно для изменения данных",
	"The message is still being processed.":                                             "Письмо ещё обрабатывается.",
	"The request did not come by email.":                                                "Запрос пришёл не по почте.",
	"The request is not waiting for review.":                                            "Запрос не ждёт разбора.",
	"invalid kind":                                                                      "Неверный вид запроса.",
	"marketing_optout, data_update, consent_revocation or access":                       "отказ от рекламы, изменение данных, отзыв согласия или доступ",
	"This webhook request was processed before (replayed).":                             "Этот запрос вебхука уже был обработан (повтор).",

	// Public pages and links.
	"This address is already subscribed.":                               "Этот адрес уже подписан.",
	"This link has already been used.":                                  "Эта ссылка уже использована.",
	"unknown confirmation":                                              "неизвестное подтверждение",
	"This link has expired.":                                            "Срок действия ссылки истёк.",
	"This link is invalid.":                                             "Ссылка недействительна.",
	"This link can only have a new link mailed to the address on file.": "По этой ссылке можно только получить новую ссылку на адрес, который у нас записан.",
	"This request no longer exists. Please fill in the form again.":     "Этого запроса больше нет. Пожалуйста, заполните форму заново.",

	// Webhook endpoints.
	"The endpoint cannot be registered.":                                                              "Адрес нельзя зарегистрировать.",
	"There are %d endpoints already; delete one first.":                                               "Адресов уже %d; сначала удалите один.",
	"a URL with a fragment (#) is not allowed":                                                        "адрес с фрагментом (#) не допускается",
	"a loopback, private or link-local address is not allowed (only with WEBHOOK_ALLOW_PRIVATE=true)": "локальный, частный или link-local адрес не допускается (только с WEBHOOK_ALLOW_PRIVATE=true)",
	"a user or password in the URL is not allowed; the signature authenticates the product":           "имя пользователя или пароль в адресе не допускаются; подлинность подтверждает подпись",
	"choose at least one event":                                                                       "выберите хотя бы одно событие",
	"enter an absolute URL such as https://example.com/hooks":                                         "введите полный адрес, например https://example.com/hooks",
	"enter the endpoint's URL":                                                                        "введите адрес",
	"enter the endpoint's host":                                                                       "введите хост адреса",
	"the URL is longer than 2000 characters":                                                          "адрес длиннее 2000 символов",
	"the port must not be 0":                                                                          "порт не может быть 0",
	"unknown event %q":                                                                                "неизвестное событие %q",
	"use https:// (plain http:// only with WEBHOOK_ALLOW_PRIVATE=true)":                               "используйте https:// (обычный http:// только с WEBHOOK_ALLOW_PRIVATE=true)",
	"use https://": "используйте https://",
	"The form has expired or did not come from this console. Reload the page and try again.": "Форма устарела или отправлена не из этой консоли. Обновите страницу и попробуйте снова.",
	"The message cannot be read.":                         "Письмо невозможно прочитать.",
	"message not found":                                   "Письмо не найдено.",
	"the message has no HTML part":                        "В письме нет части HTML.",
	"Unknown action.":                                     "Неизвестное действие.",
	"Too many requests. Please try again later.":          "Слишком много запросов. Пожалуйста, попробуйте позже.",
	"Posting this form from another site is not allowed.": "Отправлять эту форму с другого сайта нельзя.",
	"A field has the wrong type.":                         "У поля неверный тип.",
	"Choose a date and time.":                             "Выберите дату и время.",
	"RFC 3339 time or YYYY-MM-DD":                         "время RFC 3339 или ГГГГ-ММ-ДД",
	"an RFC 3339 time such as 2030-01-02T09:00:00+03:00":  "время RFC 3339, например 2030-01-02T09:00:00+03:00",
	"date and time":                                       "дата и время",
	"invalid filter":                                      "Фильтр заполнен неверно.",
	"invalid send time":                                   "Неверное время отправки.",
	"true or false":                                       "true или false",
	"unknown field":                                       "неизвестное поле",
	"YYYY-MM-DD":                                          "ГГГГ-ММ-ДД",
	"The body could not be read as JSON.":                 "Тело запроса не удалось прочитать как JSON.",
	"The body is not valid JSON.":                         "Тело запроса — не JSON.",
	"The body must be one JSON object.":                   "Тело запроса должно быть одним объектом JSON.",
	"invalid id":                                          "неверный номер",
}
