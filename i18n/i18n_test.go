package i18n

import "testing"

func TestText(t *testing.T) {
	Add(map[string][2]string{"test.both": {"Hello", "Привет"}, "test.en": {"Only English", ""}})
	for _, c := range []struct{ locale, key, want string }{
		{"en", "test.both", "Hello"},
		{"ru", "test.both", "Привет"},
		{"de", "test.both", "Hello"},
		{"ru", "test.en", "Only English"},
		{"ru", "test.missing", "test.missing"},
		{"ru", "form.invalid_fields", "Пожалуйста, исправьте отмеченные поля."},
	} {
		if got := Text(c.locale, c.key); got != c.want {
			t.Errorf("Text(%q, %q) = %q, want %q", c.locale, c.key, got, c.want)
		}
	}
}

func TestAddTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a key defined twice did not panic")
		}
	}()
	Add(map[string][2]string{"form.invalid": {"again", "снова"}})
}
