package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Redis says where the queue and the shared counters live: one Redis
// server, or a group of servers watched by Redis Sentinel, which names the
// group's master and promotes a replica when the master fails.
type Redis struct {
	// Addrs is the server's host:port, or the Sentinels' host:ports.
	Addrs []string
	// MasterName is the name Sentinel knows the group by; empty for one
	// server.
	MasterName string
	// Username and Password authenticate to the Redis servers.
	Username string
	Password string
	// SentinelUsername and SentinelPassword authenticate to the Sentinels
	// (Sentinel's own requirepass, often unset or other than the servers').
	SentinelUsername string
	SentinelPassword string
	// DB is the database number.
	DB int
	// TLS encrypts every connection (to the servers and to the Sentinels)
	// and verifies each peer's certificate against its host name or IP.
	TLS bool
}

// Sentinel reports whether the servers are found through Sentinel.
func (r Redis) Sentinel() bool { return r.MasterName != "" }

// RedisURLForms is the help shown with a REDIS_URL that cannot be read.
const RedisURLForms = "redis://[[user]:password@]host:6379[/db], rediss:// for TLS, or " +
	"redis-sentinel://[[user]:password@]host1:26379,host2:26379/master-name[/db][?sentinel_password=...], rediss-sentinel:// for TLS"

// ParseRedisURL reads a REDIS_URL:
//
//	redis://[[user]:password@]host[:6379][/db]
//	rediss://...                       (TLS)
//	redis-sentinel://[[user]:password@]host1[:26379][,host2[:26379]...]/master-name[/db][?sentinel_password=P&sentinel_username=U]
//	rediss-sentinel://...              (TLS to the Sentinels and the servers)
//
// The user and password of the authority are the Redis servers'; the
// Sentinels' own credentials, if they have any, go in the query. Special
// characters in names and passwords are percent-encoded.
func ParseRedisURL(raw string) (Redis, error) {
	var r Redis
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return r, fmt.Errorf("not a URL (want %s)", RedisURLForms)
	}
	var defaultPort string
	switch scheme {
	case "redis", "rediss":
		defaultPort = "6379"
	case "redis-sentinel", "rediss-sentinel":
		defaultPort = "26379"
	default:
		return r, fmt.Errorf("unsupported scheme %q (want redis, rediss, redis-sentinel or rediss-sentinel)", scheme)
	}
	r.TLS = strings.HasPrefix(scheme, "rediss")
	sentinel := strings.HasSuffix(scheme, "-sentinel")

	// The authority ends at the first '/', '?' or '#'; it may list several
	// hosts, which url.Parse does not take, so it is split here and the
	// rest is parsed as a URL of its own.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	hosts := authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		u, err := url.Parse("redis://" + authority[:at] + "@x")
		if err != nil || u.User == nil {
			return r, fmt.Errorf("cannot read the user and password (percent-encode special characters)")
		}
		r.Username = u.User.Username()
		r.Password, _ = u.User.Password()
		hosts = authority[at+1:]
	}
	for _, h := range strings.Split(hosts, ",") {
		addr, err := hostPort(h, defaultPort)
		if err != nil {
			return r, err
		}
		r.Addrs = append(r.Addrs, addr)
	}
	if !sentinel && len(r.Addrs) > 1 {
		return r, fmt.Errorf("%s:// takes one host; list Sentinels with redis-sentinel://", scheme)
	}
	u, err := url.Parse("redis://x" + tail)
	if err != nil {
		return r, fmt.Errorf("not a URL: %v", err)
	}
	if u.Fragment != "" {
		return r, fmt.Errorf("no fragment expected")
	}
	var segs []string
	for _, s := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if sentinel {
		if len(segs) == 0 {
			return r, fmt.Errorf("no master name: put it in the path, e.g. %s://host1:26379,host2:26379/mymaster", scheme)
		}
		r.MasterName, segs = segs[0], segs[1:]
	}
	switch len(segs) {
	case 0:
	case 1:
		if r.DB, err = strconv.Atoi(segs[0]); err != nil || r.DB < 0 {
			return r, fmt.Errorf("%q is not a database number", segs[0])
		}
	default:
		return r, fmt.Errorf("unexpected path %q (want %s)", u.Path, RedisURLForms)
	}
	for key, vals := range u.Query() {
		switch {
		case sentinel && key == "sentinel_password":
			r.SentinelPassword = vals[len(vals)-1]
		case sentinel && key == "sentinel_username":
			r.SentinelUsername = vals[len(vals)-1]
		case sentinel && key == "master":
			return r, fmt.Errorf("put the master name in the path, e.g. %s://host1:26379/mymaster, not in ?master=", scheme)
		default:
			return r, fmt.Errorf("unknown parameter %q", key)
		}
	}
	return r, nil
}

// hostPort checks one host[:port] and adds the default port.
func hostPort(h, defaultPort string) (string, error) {
	if h == "" {
		return "", fmt.Errorf("no host")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port given (a bare host, or a bracketed IPv6 address).
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
		if strings.ContainsAny(host, "[]") || (strings.Contains(host, ":") && !strings.HasPrefix(h, "[")) {
			return "", fmt.Errorf("%q is not host:port", h)
		}
	}
	if host == "" {
		return "", fmt.Errorf("%q has no host", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%q has no valid port", h)
	}
	return net.JoinHostPort(host, port), nil
}
