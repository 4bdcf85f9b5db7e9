package jobs

import (
	"context"
	"fmt"

	"newsletter/app"
	appmail "newsletter/app/mail"
)

// compile compiles a campaign for sending. A campaign that counts clicks
// and is no longer a draft has the links of its body rewritten to counted
// /l/ links, once per campaign and language, and its links registered
// before any message carries them; a draft's test message keeps its links
// as written (its content may still change).
func (r *CampaignRunner) compile(ctx context.Context, c *app.Campaign, frame app.Frame) (*app.CampaignTemplate, error) {
	if !c.TrackClicks || c.Status == app.CampaignDraft {
		tpl, err := app.CompileCampaign(c, r.cfg.Operator, appmail.HTMLToText, frame)
		if err != nil {
			return nil, fmt.Errorf("compile campaign %d: %w", c.ID, err)
		}
		return tpl, nil
	}
	tpl, urls, err := app.CompileTrackedCampaign(c, r.cfg.Operator, appmail.HTMLToText, frame, func(i int) string {
		return r.cfg.Links.Click(c.ID, i)
	})
	if err != nil {
		return nil, fmt.Errorf("compile campaign %d: %w", c.ID, err)
	}
	if err := r.cfg.Store.RegisterCampaignLinks(ctx, c.ID, urls); err != nil {
		return nil, fmt.Errorf("compile campaign %d: %w", c.ID, err)
	}
	return tpl, nil
}
