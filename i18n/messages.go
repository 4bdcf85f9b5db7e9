package i18n

func init() { Add(validation) }

// validation holds the messages of the input rules of the subscription
// form and the preference centre (app/validate.go, app/normalize.go).
var validation = map[string][2]string{
	"form.invalid_fields": {
		"Please correct the marked fields.",
		"Пожалуйста, исправьте отмеченные поля.",
	},
	"form.invalid": {
		"This form could not be processed. Please reload the page and try again.",
		"Не удалось обработать форму. Обновите страницу и попробуйте ещё раз.",
	},
	"page.invalid": {
		"This form could not be processed. Please reload the page and try again.",
		"Не удалось обработать форму. Обновите страницу и попробуйте ещё раз.",
	},
	"name.required": {
		"Please enter your name.",
		"Пожалуйста, укажите имя.",
	},
	"name.too_long": {
		"The name must be at most 100 characters long.",
		"Имя должно быть не длиннее 100 символов.",
	},
	"name.invalid": {
		"Please use only letters, digits, spaces, hyphens, apostrophes and dots in the name.",
		"В имени можно использовать только буквы, цифры, пробелы, дефис, апостроф и точку.",
	},
	"name.digits": {
		"The name may contain at most 4 digits.",
		"Имя может содержать не больше 4 цифр.",
	},
	"name.no_letters": {
		"The name must contain letters.",
		"Имя должно содержать буквы.",
	},
	"name.link": {
		"The name must not contain a website or domain name (put a space after a dot).",
		"Имя не должно содержать адрес сайта или доменное имя (после точки ставьте пробел).",
	},
	"email.required": {
		"Please enter your email address.",
		"Пожалуйста, укажите адрес электронной почты.",
	},
	"email.invalid": {
		"Please enter an email address like name@example.com.",
		"Укажите адрес электронной почты в виде name@example.com.",
	},
	"email.too_long": {
		"This email address is too long.",
		"Адрес электронной почты слишком длинный.",
	},
	"email.local_ascii": {
		"The part before @ may contain only Latin letters, digits and punctuation.",
		"Часть адреса до @ может содержать только латинские буквы, цифры и знаки препинания.",
	},
	"email.domain": {
		"The part after @ is not a valid domain name.",
		"Часть адреса после @ не является правильным доменным именем.",
	},
	"phone.invalid": {
		"Please enter a valid phone number with the country code, for example +7 912 345-67-89.",
		"Укажите правильный номер телефона с кодом страны, например +7 912 345-67-89.",
	},
	"phone.extension": {
		"Please enter the phone number without an extension.",
		"Укажите номер телефона без добавочного номера.",
	},
	"newsletters.unknown": {
		"Please choose among the newsletters offered.",
		"Пожалуйста, выберите из предложенных рассылок.",
	},
	"newsletters.marketing_consent": {
		"The newsletters with news and offers need your consent to advertising: tick it, or untick them.",
		"Для рассылок с новостями и предложениями нужно согласие на получение рекламы: отметьте его или снимите отметку с них.",
	},
	"consent.processing_required": {
		"Consent to the processing of personal data is required to subscribe.",
		"Для подписки необходимо согласие на обработку персональных данных.",
	},
	"consent.cross_border_required": {
		"Our mail is sent through servers abroad: consent to the cross-border transfer of your data is required to subscribe.",
		"Наши письма отправляются через серверы за рубежом: для подписки необходимо согласие на трансграничную передачу данных.",
	},
}
