package web

import (
	"bytes"
	"mime/multipart"
	"testing"
)

func multipartOneClick(t testing.TB, key, value string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.WriteField(key, value); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

func TestIsOneClick(t *testing.T) {
	mpType, mpBody := multipartOneClick(t, "List-Unsubscribe", "One-Click")
	_, mpWrong := multipartOneClick(t, "List-Unsubscribe", "Yes")
	otherType, otherBody := multipartOneClick(t, "choice", "marketing")
	cases := []struct {
		name        string
		contentType string
		body        string
		want        bool
	}{
		{"URLEncoded", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", true},
		{"URLEncodedCharset", "application/x-www-form-urlencoded; charset=utf-8", "List-Unsubscribe=One-Click\r\n", true},
		{"URLEncodedEscaped", "application/x-www-form-urlencoded", "List-Unsubscribe=One%2DClick", true},
		{"NoContentType", "", "List-Unsubscribe=One-Click", true},
		{"Multipart", mpType, string(mpBody), true},
		{"MultipartOtherValue", mpType, string(mpWrong), false},
		{"MultipartPageForm", otherType, string(otherBody), false},
		{"MultipartNoBoundary", "multipart/form-data", string(mpBody), false},
		{"PageForm", "application/x-www-form-urlencoded", "choice=marketing&locale=en", false},
		{"OtherValue", "application/x-www-form-urlencoded", "List-Unsubscribe=Yes", false},
		{"Twice", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click&List-Unsubscribe=One-Click", false},
		{"JSON", "application/json", `{"List-Unsubscribe":"One-Click"}`, false},
		{"Empty", "application/x-www-form-urlencoded", "", false},
		{"BadContentType", "text/;;", "List-Unsubscribe=One-Click", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := isOneClick(c.contentType, []byte(c.body)); got != c.want {
				t.Fatalf("isOneClick = %v, want %v", got, c.want)
			}
		})
	}
}

// FuzzIsOneClick feeds the one-click body decoder arbitrary content types
// and bodies: it must never panic, and only a body that carries the field
// (literally or percent-encoded) may count.
func FuzzIsOneClick(f *testing.F) {
	mpType, mpBody := multipartOneClick(f, "List-Unsubscribe", "One-Click")
	f.Add("application/x-www-form-urlencoded", []byte("List-Unsubscribe=One-Click"))
	f.Add(mpType, mpBody)
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--x--\r\n"))
	f.Add("", []byte("a=b&c"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		if isOneClick(contentType, body) && !bytes.Contains(body, []byte("List-Unsubscribe")) && !bytes.Contains(body, []byte("%")) {
			t.Fatalf("one-click without the field: %q %q", contentType, body)
		}
	})
}
