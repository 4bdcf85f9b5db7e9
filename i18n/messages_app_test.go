package i18n

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestMessageFormats: each Russian format takes the arguments of its
// English one, the same verbs in the same order, so filling it never
// gives fmt's %!(...) complaints.
func TestMessageFormats(t *testing.T) {
	verb := regexp.MustCompile(`%[a-z]`)
	for en, ru := range appMessages {
		if ev, rv := verb.FindAllString(en, -1), verb.FindAllString(ru, -1); !slices.Equal(ev, rv) {
			t.Errorf("%q: verbs %v, its Russian %q has %v", en, ev, ru, rv)
			continue
		}
		var args []any
		for _, v := range verb.FindAllString(en, -1) {
			args = append(args, map[string]any{"%d": 7, "%s": "draft", "%q": "x", "%v": errors.New("e")}[v])
		}
		got, ok := Message("ru", en, args...)
		if !ok || strings.Contains(got, "%!") || got == "" {
			t.Errorf("%q: %q %v", en, got, ok)
		}
		if want := fmt.Sprintf(en, args...); strings.Contains(want, "%!") {
			t.Errorf("%q: English %q", en, want)
		}
	}
}

// TestMessage: the arguments go into the Russian format, a word in its
// Russian, an action only at its place; English and unknown formats are
// left to the caller.
func TestMessage(t *testing.T) {
	type status string // a word can be of any string type
	for _, tt := range []struct {
		loc, format string
		args        []any
		want        string
		ok          bool
	}{
		{"ru", refusedAction, []any{status("paused"), "paused"}, "Рассылку со статусом «приостановлена» нельзя приостановить.", true},
		{"ru", "Only a draft can be edited; this campaign is %s.", []any{"paused"}, "Изменять можно только черновик; статус этой рассылки: приостановлена.", true},
		{"ru", "there is no newsletter %d", []any{int64(4)}, "списка 4 нет", true},
		{"ru", "line %d: broken CSV (%v); nothing was imported", []any{2, errors.New(`bare " in non-quoted field`)},
			`строка 2: повреждённый CSV (bare " in non-quoted field); ничего не импортировано`, true},
		{"en", "there is no newsletter %d", []any{4}, "", false},
		{"ru", "nobody wrote %d", []any{4}, "", false},
	} {
		got, ok := Message(tt.loc, tt.format, tt.args...)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s %q: %q %v, want %q %v", tt.loc, tt.format, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := MessageText("ru", "invalid id"); got != "неверный номер" || !ok {
		t.Errorf("MessageText: %q %v", got, ok)
	}
	if !HasMessage(refusedAction) || HasMessage("nobody wrote this") {
		t.Error("HasMessage")
	}
}
