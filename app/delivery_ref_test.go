package app_test

import (
	"strings"
	"testing"

	"newsletter/app"
)

func TestDeliveryRef(t *testing.T) {
	s, err := app.NewSigner([]byte("delivery-ref-test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := app.NewSigner([]byte("another-installation-secret-0123456789ab"))
	ref := s.DeliveryRef(1234, 56)
	if !strings.HasPrefix(ref, "d1234.c56.") {
		t.Fatalf("ref %q", ref)
	}
	want := app.DeliveryRef{DeliveryID: 1234, CampaignID: 56}
	mac := ref[strings.LastIndexByte(ref, '.')+1:]
	for _, tc := range []struct {
		name   string
		values []string
		ok     bool
	}{
		{"MessageID", []string{"<" + ref + "@news.example.com>"}, true},
		{"UpperCase", []string{strings.ToUpper(ref) + "@NEWS.EXAMPLE.COM"}, true},
		{"VERP", []string{app.VERPAddress("bounces@news.example.com", ref)}, true},
		{"LaterValue", []string{"", "something else", "Re: " + ref}, true},
		{"OtherDelivery", []string{"d1235.c56." + mac}, false},
		{"OtherCampaign", []string{"d1234.c57." + mac}, false},
		{"LeadingZero", []string{"d01234.c56." + mac}, false},
		{"OtherInstallation", []string{other.DeliveryRef(1234, 56)}, false},
		{"NoMAC", []string{"d1234.c56.0000000000000000"}, false},
		{"Nothing", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := s.FindDeliveryRef(tc.values...)
			if ok != tc.ok || (ok && got != want) {
				t.Fatalf("FindDeliveryRef = %+v %v, want %v", got, ok, tc.ok)
			}
		})
	}
	if v := app.VERPAddress("bounces@news.example.com", ref); v != "bounces+"+ref+"@news.example.com" {
		t.Errorf("VERP address %q", v)
	}
	if v := app.VERPAddress("not an address", ref); v != "" {
		t.Errorf("VERP of a non-address: %q", v)
	}
}
