package templates

import (
	"errors"
	"fmt"
	"maps"
	"testing"

	"newsletter/app"
)

// TestTranslateError: a message of the use cases comes out in Russian
// from its format and arguments, an argument that is a word (a status, a
// purpose, an action at its place) in Russian too; an argument that holds
// the format's own words stays whole; English and unknown messages stay as
// they are.
func TestTranslateError(t *testing.T) {
	for _, tt := range []struct {
		name, loc  string
		err        error
		want       string
		wantFields map[string]string
	}{
		{"literal", "ru", &app.Error{Code: app.ENOTFOUND, Message: "The subscriber is erased."}, "Данные подписчика удалены.", nil},
		{"status and action", "ru", app.Errorf(app.ECONFLICT, "A %s campaign cannot be %s.", app.CampaignRunning, "paused"),
			"Рассылку со статусом «отправляется» нельзя приостановить.", nil},
		// The same word is a status first and an action second.
		{"word by position", "ru", app.Errorf(app.ECONFLICT, "A %s campaign cannot be %s.", app.CampaignScheduled, "scheduled"),
			"Рассылку со статусом «запланирована» нельзя запланировать.", nil},
		{"wrapped", "ru", fmt.Errorf("edit: %w", app.Errorf(app.ECONFLICT, "Only a draft can be edited; this campaign is %s.", app.CampaignFinished)),
			"Изменять можно только черновик; статус этой рассылки: завершена.", nil},
		// A value holding the format's own words: reading the message back
		// could not tell where the first value ends.
		{"value with the format's words", "ru", app.Errorf(app.EINVALID, "the header lacks the required column(s) %s (found: %s)", "email (found: name)", "phone"),
			"в заголовке нет обязательных столбцов email (found: name) (найдены: phone)", nil},
		{"value that is a message", "ru", app.Errorf(app.EINVALID, "the header names the %s column twice", "the header names the x column twice"),
			"в заголовке дважды указан столбец the header names the x column twice", nil},
		{"quoted", "ru", app.Errorf(app.EINVALID, "unknown event %q", "x.y"), `неизвестное событие "x.y"`, nil},
		{"number", "ru", app.Errorf(app.ECONFLICT, "There are %d endpoints already; delete one first.", 10), "Адресов уже 10; сначала удалите один.", nil},
		{"fields", "ru", (&app.Error{Code: app.EINVALID, Message: "The campaign has errors.", Fields: map[string]string{"purpose": "must be marketing or informational"}}).
			Fieldf("newsletter_ids", "newsletter %d is %s; this campaign is %s", 3, app.CampaignMarketing, app.CampaignInformational).
			Fieldf("name", "at most %d characters", 200),
			"В рассылке есть ошибки.", map[string]string{"purpose": "реклама или информационная",
				"newsletter_ids": "назначение списка 3 — реклама, а этой рассылки — информационная", "name": "не длиннее 200 символов"}},
		{"english", "en", app.Errorf(app.ECONFLICT, "A %s campaign cannot be %s.", app.CampaignDraft, "paused"), "A draft campaign cannot be paused.", nil},
		{"english fields", "en", (&app.Error{Code: app.EINVALID, Message: "The segment has errors."}).Fieldf("name", "at most %d characters", 100),
			"The segment has errors.", map[string]string{"name": "at most 100 characters"}},
		{"unknown format", "ru", app.Errorf(app.EINVALID, "A message nobody wrote down: %d.", 1), "A message nobody wrote down: 1.", nil},
		{"unknown literal", "ru", &app.Error{Code: app.EINVALID, Message: "A message nobody wrote down."}, "A message nobody wrote down.", nil},
		{"not an Error", "ru", errors.New("boom"), "Internal error.", nil},
	} {
		msg, fields := TranslateError(tt.loc, tt.err)
		if msg != tt.want || !maps.Equal(fields, tt.wantFields) {
			t.Errorf("%s: %q %v, want %q %v", tt.name, msg, fields, tt.want, tt.wantFields)
		}
	}
}

// TestTranslateMessage: a text written out whole is looked up as it is.
func TestTranslateMessage(t *testing.T) {
	for _, tt := range []struct{ loc, in, want string }{
		{"ru", "The subscriber is erased.", "Данные подписчика удалены."},
		{"ru", "YYYY-MM-DD", "ГГГГ-ММ-ДД"},
		{"en", "The subscriber is erased.", "The subscriber is erased."},
		{"ru", "A message nobody wrote down.", "A message nobody wrote down."},
		// A format is not a text: its message is translated from the error.
		{"ru", "at most 200 characters", "at most 200 characters"},
	} {
		if got := TranslateMessage(tt.loc, tt.in); got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.loc, tt.in, got, tt.want)
		}
	}
}
