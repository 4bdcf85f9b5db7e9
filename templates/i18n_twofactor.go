package templates

// The texts of two-factor sign-in and single sign-on, merged into the
// catalog.
var twoFactorCatalog = map[string][2]string{
	"admin.twofactor.link":           {"Two-factor", "Двухфакторный вход"},
	"admin.twofactor.title":          {"Two-factor sign-in", "Двухфакторный вход"},
	"admin.twofactor.code":           {"Code", "Код"},
	"admin.twofactor.code.title":     {"Enter the code", "Введите код"},
	"admin.twofactor.code.lead":      {"Open the authenticator app on your phone and enter the six-digit code it shows for this console.", "Откройте приложение-аутентификатор на телефоне и введите шестизначный код, который оно показывает для этой консоли."},
	"admin.twofactor.code.hint":      {"Six digits from the app, or one of your recovery codes.", "Шесть цифр из приложения или один из резервных кодов."},
	"admin.twofactor.code.submit":    {"Confirm", "Подтвердить"},
	"admin.twofactor.code.restart":   {"Sign in with another account", "Войти под другой учётной записью"},
	"admin.twofactor.wrong":          {"Wrong code, or a code already used. Wait for the next code in the app and try again.", "Неверный или уже использованный код. Дождитесь следующего кода в приложении и попробуйте ещё раз."},
	"admin.twofactor.locked":         {"Too many wrong codes. Try again in %d min.", "Слишком много неверных кодов. Повторите через %d мин."},
	"admin.twofactor.expired":        {"Your sign-in has expired: enter your password again.", "Время на вход истекло: введите пароль ещё раз."},
	"admin.twofactor.required.lead":  {"The owners of this console require two-factor sign-in. Set it up now to sign in.", "Владельцы консоли требуют двухфакторный вход. Настройте его сейчас, чтобы войти."},
	"admin.twofactor.enrol.app":      {"Install an authenticator app on your phone: Google Authenticator, Microsoft Authenticator, FreeOTP, Aegis or another.", "Установите на телефон приложение-аутентификатор: Google Authenticator, Microsoft Authenticator, FreeOTP, Aegis или другое."},
	"admin.twofactor.enrol.scan":     {"Scan this QR code with the app.", "Отсканируйте этот QR-код в приложении."},
	"admin.twofactor.enrol.qr":       {"QR code of the two-factor secret", "QR-код секрета для двухфакторного входа"},
	"admin.twofactor.enrol.manual":   {"Or type in the key:", "Или введите ключ вручную:"},
	"admin.twofactor.enrol.confirm":  {"Enter the six-digit code the app shows.", "Введите шестизначный код из приложения."},
	"admin.twofactor.enrol.submit":   {"Turn on", "Включить"},
	"admin.twofactor.on":             {"Two-factor sign-in is on.", "Двухфакторный вход включён."},
	"admin.twofactor.left":           {"Recovery codes left: %d.", "Осталось резервных кодов: %d."},
	"admin.twofactor.codes.lead":     {"These are your recovery codes. Each one signs you in once when your phone is not at hand.", "Это ваши резервные коды. Каждый из них позволяет войти один раз, если телефона нет под рукой."},
	"admin.twofactor.codes.once":     {"Shown once: print them or keep them in a password manager now.", "Показываются один раз: распечатайте их или сохраните в менеджере паролей прямо сейчас."},
	"admin.twofactor.continue":       {"Continue", "Продолжить"},
	"admin.twofactor.required":       {"The owners require two-factor sign-in: it cannot be turned off. If you lose your phone, ask an owner to reset it.", "Владельцы требуют двухфакторный вход, отключить его нельзя. Если потеряете телефон, попросите владельца сбросить его."},
	"admin.twofactor.disable":        {"Turn off two-factor sign-in", "Отключить двухфакторный вход"},
	"admin.users.twofactor":          {"two-factor", "2FA"},
	"admin.users.twofactor.reset":    {"Reset two-factor", "Сбросить 2FA"},
	"admin.users.twofactor.confirm":  {"Turn off two-factor sign-in of %s? Their sessions end at once.", "Отключить двухфакторный вход у %s? Все сеансы этой учётной записи завершатся сразу."},
	"admin.users.twofactor.title":    {"Two-factor sign-in", "Двухфакторный вход"},
	"admin.users.twofactor.is_req":   {"Required of every admin: those without it set it up right after the password.", "Обязателен для всех: кто ещё не настроил его, сделает это сразу после ввода пароля."},
	"admin.users.twofactor.is_opt":   {"Optional: each admin decides.", "По желанию: каждый решает сам."},
	"admin.users.twofactor.require":  {"Require of every admin", "Сделать обязательным"},
	"admin.users.twofactor.optional": {"Make optional", "Сделать необязательным"},
	"admin.users.twofactor.sso":      {"Single sign-on through the identity provider does not ask for a code: the provider authenticates.", "При входе через поставщика удостоверений код не спрашивается: проверку выполняет поставщик."},
	"admin.ok.twofactor_off":         {"Two-factor sign-in is off.", "Двухфакторный вход отключён."},
	"admin.ok.twofactor_reset":       {"Two-factor sign-in reset.", "Двухфакторный вход сброшен."},
	"admin.ok.twofactor_required":    {"Two-factor sign-in is now required.", "Двухфакторный вход теперь обязателен."},
	"admin.ok.twofactor_optional":    {"Two-factor sign-in is now optional.", "Двухфакторный вход теперь необязателен."},
	"admin.sso.or":                   {"or", "или"},
	"admin.sso.button":               {"Sign in with %s", "Войти через %s"},
	"admin.sso.title":                {"Single sign-on", "Единый вход"},
	"admin.sso.back":                 {"Back to sign-in", "Вернуться ко входу"},
	"admin.sso.unknown":              {"%s signed you in, but no account of this console has your email address. Ask an owner to create one; accounts are never created on sign-in.", "Поставщик удостоверений %s подтвердил вашу личность, но в консоли нет учётной записи с вашим адресом. Попросите владельца создать её: при входе учётные записи не создаются."},
	"admin.sso.unverified":           {"%s has not verified your email address, so it cannot sign you in here.", "Поставщик удостоверений %s не подтвердил ваш адрес электронной почты, поэтому войти так нельзя."},
	"admin.sso.state":                {"This sign-in through %s was not started in this browser, or it took too long. Start again.", "Этот вход через %s начат не в этом браузере или занял слишком много времени. Начните заново."},
	"admin.sso.refused":              {"%s did not sign you in.", "Поставщик удостоверений %s не выполнил вход."},
	"admin.sso.unavailable":          {"%s cannot be reached right now. Sign in with your password, or try again later.", "Поставщик удостоверений %s сейчас недоступен. Войдите по паролю или попробуйте позже."},
}

func init() {
	for k, v := range twoFactorCatalog {
		if _, dup := catalog[k]; dup {
			panic("templates: text " + k + " is defined twice")
		}
		catalog[k] = v
	}
}
