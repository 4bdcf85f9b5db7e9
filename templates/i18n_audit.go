package templates

import "newsletter/i18n"

// AuditActionKey is the catalog key of an audit log action's label.
func AuditActionKey(action string) string { return "audit.action." + action }

// AuditAction says an audit log action in words in locale; an action
// without a label stays as stored.
func AuditAction(locale, action string) string {
	if _, ok := i18n.Lookup(AuditActionKey(action)); !ok {
		return action
	}
	return T(locale, AuditActionKey(action))
}

// auditCatalog holds the labels of audit log actions and actors and the
// texts of the CSV downloads: key -> {English, Russian}.
var auditCatalog = map[string][2]string{
	"admin.actor.cli":                            {"Command line", "Командная строка"},
	"admin.actor.gone":                           {"Staff member #%d (deleted)", "Сотрудник № %d (удалён)"},
	"admin.actor.subscriber":                     {"Subscriber #%d", "Подписчик № %d"},
	"admin.actor.system":                         {"System", "Система"},
	"admin.audit.baddate":                        {"Dates are written as YYYY-MM-DD.", "Даты указываются в виде ГГГГ-ММ-ДД."},
	"admin.audit.from":                           {"From", "С"},
	"admin.audit.to":                             {"To", "По"},
	"admin.csv.subscriber":                       {"Subscriber", "Подписчик"},
	"admin.csv.kind":                             {"Kind", "Вид"},
	"admin.csv.channel":                          {"Channel", "Канал"},
	"admin.csv.status":                           {"Status", "Статус"},
	"admin.csv.received":                         {"Received", "Получен"},
	"admin.csv.due":                              {"Due", "Срок ответа"},
	"admin.csv.completed":                        {"Closed", "Закрыт"},
	"admin.csv.verification":                     {"Verification", "Проверка личности"},
	"admin.csv.extended":                         {"Extension reason", "Причина продления"},
	"admin.destructions.by":                      {"Destroyed by", "Кто уничтожил"},
	"admin.csv":                                  {"Download CSV", "Скачать CSV"},
	"admin.csv.bom":                              {"for Excel", "для Excel"},
	"audit.action.admin_created":                 {"Staff account created", "Создана учётная запись сотрудника"},
	"audit.action.admin_deleted":                 {"Staff account deleted", "Удалена учётная запись сотрудника"},
	"audit.action.admin_password_changed":        {"Password changed", "Пароль изменён"},
	"audit.action.mail_layout_changed":           {"Mail layout changed", "Изменено оформление писем"},
	"audit.action.admin_password_reset":          {"Password reset", "Пароль сброшен"},
	"audit.action.admin_recovery_code_used":      {"Recovery code used", "Использован резервный код"},
	"audit.action.admin_role_changed":            {"Role changed", "Роль изменена"},
	"audit.action.admin_second_factor_throttled": {"Second factor: too many attempts", "Второй фактор: слишком много попыток"},
	"audit.action.admin_sign_in_throttled":       {"Sign-in: too many attempts", "Вход: слишком много попыток"},
	"audit.action.admin_signed_in":               {"Signed in", "Вход в консоль"},
	"audit.action.admin_sso_refused":             {"Single sign-on refused", "Отказ во входе через поставщика удостоверений"},
	"audit.action.admin_twofactor_disabled":      {"Two-factor authentication turned off", "Двухфакторная аутентификация отключена"},
	"audit.action.admin_twofactor_enrolled":      {"Two-factor authentication turned on", "Двухфакторная аутентификация включена"},
	"audit.action.admin_recovery_codes_renewed":  {"New recovery codes for two-factor sign-in", "Новые резервные коды двухфакторного входа"},
	"audit.action.admin_twofactor_reset":         {"Two-factor authentication reset", "Двухфакторная аутентификация сброшена"},
	"audit.action.admin_unlocked":                {"Account unlocked", "Учётная запись разблокирована"},
	"audit.action.api_token_created":             {"API token created", "Создан токен API"},
	"audit.action.api_token_revoked":             {"API token revoked", "Токен API отозван"},
	"audit.action.segment_created":               {"Segment created", "Сегмент создан"},
	"audit.action.segment_edited":                {"Segment edited", "Сегмент изменён"},
	"audit.action.segment_deleted":               {"Segment deleted", "Сегмент удалён"},
	"audit.action.campaign_unscheduled":          {"Campaign back to draft", "Рассылка возвращена в черновики"},
	"audit.action.campaign_duplicated":           {"Campaign duplicated", "Создана копия рассылки"},
	"audit.action.campaign_template_saved":       {"Campaign saved as a template", "Рассылка сохранена как шаблон"},
	"audit.action.campaign_cancelled":            {"Campaign cancelled", "Рассылка отменена"},
	"audit.action.campaign_created":              {"Campaign created", "Рассылка создана"},
	"audit.action.campaign_edited":               {"Campaign edited", "Рассылка изменена"},
	"audit.action.campaign_archived":             {"Campaign published in the archive", "Рассылка опубликована в архиве"},
	"audit.action.campaign_unarchived":           {"Campaign withdrawn from the archive", "Рассылка снята с публикации в архиве"},
	"audit.action.newsletter_created":            {"Newsletter created", "Список рассылки создан"},
	"audit.action.newsletter_edited":             {"Newsletter edited", "Список рассылки изменён"},
	"audit.action.campaign_paused":               {"Campaign paused", "Рассылка приостановлена"},
	"audit.action.campaign_resumed":              {"Campaign resumed", "Рассылка возобновлена"},
	"audit.action.campaign_retry_failed":         {"Failed deliveries retried", "Повторная отправка недоставленных писем"},
	"audit.action.campaign_scheduled":            {"Campaign scheduled", "Рассылка запланирована"},
	"audit.action.campaign_test_sent":            {"Test message sent", "Отправлено тестовое письмо"},
	"audit.action.destructions_exported":         {"Destruction records downloaded", "Выгружены акты об уничтожении"},
	"audit.action.email_changed":                 {"Email address changed", "Адрес электронной почты изменён"},
	"audit.action.policy_published":              {"Privacy policy published", "Опубликована политика конфиденциальности"},
	"audit.action.profile_updated":               {"Profile updated", "Данные профиля изменены"},
	"audit.action.request_answered":              {"Request answered", "Дан ответ на запрос"},
	"audit.action.request_assigned":              {"Request kind assigned", "Запросу назначен вид"},
	"audit.action.request_completed":             {"Request completed", "Запрос исполнен"},
	"audit.action.request_extended":              {"Deadline extended", "Срок ответа продлён"},
	"audit.action.request_note":                  {"Note added", "Добавлена заметка"},
	"audit.action.request_registered":            {"Request registered", "Запрос зарегистрирован"},
	"audit.action.request_rejected":              {"Request rejected", "В запросе отказано"},
	"audit.action.subscriber_blocked":            {"Subscriber's data blocked", "Данные подписчика заблокированы"},
	"audit.action.subscriber_erased":             {"Subscriber's data destroyed", "Данные подписчика уничтожены"},
	"audit.action.subscriber_exported":           {"Subscriber's data downloaded", "Выгружены данные подписчика"},
	"audit.action.subscriber_export_mailed":      {"Subscriber's data mailed to them", "Данные отправлены подписчику по почте"},
	"audit.action.subscriber_unblocked":          {"Subscriber's data unblocked", "Данные подписчика разблокированы"},
	"audit.action.subscribers_imported":          {"Subscribers imported", "Импорт подписчиков"},
	"audit.action.subscribers_import_checked":    {"Import file checked (dry run)", "Файл импорта проверен (пробный прогон)"},
	"audit.action.subscribers_exported":          {"Subscribers exported (CSV)", "Выгрузка подписчиков (CSV)"},
	"audit.action.suppression_added":             {"Added to the suppression list", "Адрес добавлен в стоп-лист"},
	"audit.action.suppression_lifted":            {"Suppression lifted", "Адрес исключён из стоп-листа по запросу"},
	"audit.action.suppression_removed":           {"Removed from the suppression list", "Адрес удалён из стоп-листа"},
	"audit.action.twofactor_required_changed":    {"Two-factor requirement changed", "Изменено требование двухфакторной аутентификации"},
	"audit.action.webhook_created":               {"Webhook created", "Вебхук создан"},
	"audit.action.webhook_deleted":               {"Webhook deleted", "Вебхук удалён"},
	"audit.action.webhook_replayed":              {"Webhook delivery replayed", "Событие вебхука отправлено повторно"},
	"audit.action.webhook_secret_rotated":        {"Webhook secret replaced", "Секрет вебхука заменён"},
}

func init() { i18n.Add(auditCatalog) }
