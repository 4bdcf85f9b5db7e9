package app_test

import (
	"testing"

	"newsletter/app"
	"newsletter/templates"
)

// testFrame is the product's mail layout with its default settings.
func testFrame(t testing.TB) app.Frame {
	t.Helper()
	r, err := templates.New()
	if err != nil {
		t.Fatal(err)
	}
	return app.Frame{Layout: r}
}
