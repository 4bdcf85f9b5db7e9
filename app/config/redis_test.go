package config_test

import (
	"reflect"
	"strings"
	"testing"

	"newsletter/app/config"
)

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    config.Redis
		wantErr string
	}{
		{name: "Plain", url: "redis://redis:6379/0", want: config.Redis{Addrs: []string{"redis:6379"}}},
		{name: "DefaultPort", url: "redis://redis", want: config.Redis{Addrs: []string{"redis:6379"}}},
		{name: "PasswordAndDB", url: "redis://:p%40ss@10.0.0.1:6380/3",
			want: config.Redis{Addrs: []string{"10.0.0.1:6380"}, Password: "p@ss", DB: 3}},
		{name: "ACLUser", url: "rediss://app:secret@cache.example.com:6380",
			want: config.Redis{Addrs: []string{"cache.example.com:6380"}, Username: "app", Password: "secret", TLS: true}},
		{name: "IPv6", url: "redis://[::1]:6379/1", want: config.Redis{Addrs: []string{"[::1]:6379"}, DB: 1}},
		{name: "Sentinel", url: "redis-sentinel://s1:26379,s2:26380,s3/mymaster",
			want: config.Redis{Addrs: []string{"s1:26379", "s2:26380", "s3:26379"}, MasterName: "mymaster"}},
		{name: "SentinelEverything",
			url: "rediss-sentinel://app:srv%2Fpass@[fd00::1]:26379,10.0.0.2:26379/queue-master/2?sentinel_password=sent&sentinel_username=watch",
			want: config.Redis{Addrs: []string{"[fd00::1]:26379", "10.0.0.2:26379"}, MasterName: "queue-master", DB: 2,
				Username: "app", Password: "srv/pass", SentinelUsername: "watch", SentinelPassword: "sent", TLS: true}},
		{name: "SentinelTrailingSlash", url: "redis-sentinel://s1/mymaster/",
			want: config.Redis{Addrs: []string{"s1:26379"}, MasterName: "mymaster"}},
		{name: "SentinelNoMaster", url: "redis-sentinel://s1:26379,s2:26379", wantErr: "no master name"},
		{name: "SentinelMasterInQuery", url: "redis-sentinel://s1:26379?master=mymaster", wantErr: "no master name"},
		{name: "SentinelMasterInQueryAndPath", url: "redis-sentinel://s1:26379/m?master=m", wantErr: "put the master name in the path"},
		{name: "SentinelBadDB", url: "redis-sentinel://s1/mymaster/zero", wantErr: `"zero" is not a database number`},
		{name: "SentinelEmptyHost", url: "redis-sentinel://s1,,s2/mymaster", wantErr: "no host"},
		{name: "SentinelBadPort", url: "redis-sentinel://s1:0/mymaster", wantErr: `"s1:0" has no valid port`},
		{name: "TwoHostsWithoutSentinel", url: "redis://a:6379,b:6379/0", wantErr: "redis:// takes one host"},
		{name: "UnknownParameter", url: "redis://redis:6379/0?dial_timeout=3", wantErr: `unknown parameter "dial_timeout"`},
		{name: "SentinelPasswordOnPlain", url: "redis://redis/0?sentinel_password=x", wantErr: `unknown parameter "sentinel_password"`},
		{name: "ExtraPath", url: "redis://redis/0/1", wantErr: "unexpected path"},
		{name: "NegativeDB", url: "redis://redis/-1", wantErr: "is not a database number"},
		{name: "Scheme", url: "redis-cluster://a:7000", wantErr: `unsupported scheme "redis-cluster"`},
		{name: "NotAURL", url: "redis:6379", wantErr: "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.ParseRedisURL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
			if got.Sentinel() != (tt.want.MasterName != "") {
				t.Fatalf("Sentinel() = %v", got.Sentinel())
			}
		})
	}
}

// TestLoadRedisURL: a REDIS_URL that cannot be read stops the program at
// start, naming the variable, and never repeats the password.
func TestLoadRedisURL(t *testing.T) {
	for _, raw := range []string{
		"redis-sentinel://:secret-password@s1:26379,s2:26379",
		"redis-sentinel://:secret-password@s1:26379,s2:26379/m/x",
		"redis://:secret-password@h:6379/0?foo=bar",
	} {
		_, err := config.Load(env(map[string]string{"REDIS_URL": raw}))
		if err == nil || !strings.HasPrefix(err.Error(), "REDIS_URL: ") {
			t.Errorf("%s: error %v, want one naming REDIS_URL", raw, err)
			continue
		}
		if strings.Contains(err.Error(), "secret-password") {
			t.Errorf("the error repeats the password: %v", err)
		}
	}
	c, err := config.Load(env(map[string]string{"REDIS_URL": "redis-sentinel://:pw@s1:26379,s2:26379/mymaster/0?sentinel_password=x"}))
	if err != nil || c.RedisURL == "" {
		t.Fatalf("a Sentinel URL: %v", err)
	}
}
