package templates

import "testing"

// TestTranslateMessage: a message of the use cases comes out in Russian,
// with its values (a status, an action) in words of Russian too; English
// and unknown messages stay as they are.
func TestTranslateMessage(t *testing.T) {
	for _, tt := range []struct{ loc, in, want string }{
		{"ru", "The subscriber is erased.", "Данные подписчика удалены."},
		{"ru", "A running campaign cannot be paused.", "Рассылку со статусом «отправляется» нельзя приостановить."},
		{"ru", "A finished campaign cannot be cancelled.", "Рассылку со статусом «завершена» нельзя отменить."},
		{"ru", "Only a draft can be edited; this campaign is finished.", "Изменять можно только черновик; статус этой рассылки: завершена."},
		{"ru", "at most 200 characters", "не длиннее 200 символов"},
		{"ru", "newsletter 3 is marketing; this campaign is informational", "назначение списка 3 — реклама, а этой рассылки — информационная"},
		{"ru", `unknown event "x.y"`, `неизвестное событие "x.y"`},
		{"en", "The subscriber is erased.", "The subscriber is erased."},
		{"ru", "A message nobody wrote down.", "A message nobody wrote down."},
	} {
		if got := TranslateMessage(tt.loc, tt.in); got != tt.want {
			t.Errorf("%s %q: %q, want %q", tt.loc, tt.in, got, tt.want)
		}
	}
}
