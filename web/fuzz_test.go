package web

import (
	"bytes"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/gofiber/fiber/v2"

	"newsletter/app"
)

// FuzzSubscribeDecode feeds arbitrary bodies, as JSON and as a form, to the
// subscription decoder and validator: they never panic, and whatever
// validates re-validates to itself.
func FuzzSubscribeDecode(f *testing.F) {
	f.Add([]byte(`{"name":"Anna","email":"a@example.com","consent_processing":true}`), true)
	f.Add([]byte(`{"name":1,"email":null,"consent_processing":"yes","consent_marketing":[1]}`), true)
	f.Add([]byte("name=Anna&email=a%40example.com&consent_processing=on&phone=%2B79123456789"), false)
	f.Add([]byte("name=%00%ff&email=%40&website=x"), false)
	a := fiber.New()
	a.Post("/", func(c *fiber.Ctx) error {
		r, err := decodeSubscribe(c)
		if err != nil {
			return c.SendStatus(422)
		}
		in := app.SubscribeInput{Name: r.Name, Email: r.Email, Phone: r.Phone, Locale: r.Locale, FormID: r.Form, Page: r.Page,
			ConsentProcessing: truthy(r.ConsentProcessing), ConsentMarketing: truthy(r.ConsentMarketing)}
		if err := in.Validate(false, "RU"); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				panic("validation error of another kind: " + err.Error())
			}
			return c.SendStatus(422)
		}
		again := in
		if err := again.Validate(false, "RU"); err != nil || !reflect.DeepEqual(again, in) {
			panic("normalized input does not re-validate to itself")
		}
		return c.SendStatus(202)
	})
	f.Fuzz(func(t *testing.T, body []byte, asJSON bool) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		if asJSON {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := a.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 202 && resp.StatusCode != 422 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}
