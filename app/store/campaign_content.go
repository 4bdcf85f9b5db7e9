package store

import (
	"encoding/json"
	"fmt"

	"newsletter/app"
)

// A campaign's content in its row: body_html holds the default language's
// body as written (Markdown or HTML, by format), and translations the
// other languages as JSON ('' when none).

// contentColumns returns the format, body and translations columns of c.
func contentColumns(c *app.Campaign) (format, body, translations string, err error) {
	format = string(c.Format)
	if format == "" {
		format = string(app.FormatHTML)
	}
	if len(c.Translations) > 0 {
		b, err := json.Marshal(c.Translations)
		if err != nil {
			return "", "", "", fmt.Errorf("encode campaign translations: %w", err)
		}
		translations = string(b)
	}
	return format, c.SourceBody(), translations, nil
}

// setContent sets c's format, bodies and translations from its columns;
// c.BodyHTML holds the body column. Unreadable translations (never
// written by this code) are left out.
func setContent(c *app.Campaign, format, translations string) {
	c.Format = app.CampaignFormat(format)
	if c.Format == "" {
		c.Format = app.FormatHTML
	}
	if c.Format == app.FormatMarkdown {
		c.Body, c.BodyHTML = c.BodyHTML, ""
	}
	if translations != "" {
		var tr map[string]app.CampaignTranslation
		if json.Unmarshal([]byte(translations), &tr) == nil && len(tr) > 0 {
			c.Translations = tr
		}
	}
}
