package web

import "newsletter/app"

// publishOnly reports whether a PATCH body has "archive" and nothing else:
// the one change a campaign takes after it left draft.
func publishOnly(p app.CampaignPatch) bool {
	return p.Archive != nil && p == app.CampaignPatch{Archive: p.Archive}
}

// patchPublishing writes the publishing fields of p that are set onto in.
func patchPublishing(in *app.CampaignInput, p app.CampaignPatch) {
	if p.Archive != nil {
		in.Archive = *p.Archive
	}
	if p.TrackClicks != nil {
		in.TrackClicks = *p.TrackClicks
	}
}
