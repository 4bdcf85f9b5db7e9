package web

import "newsletter/app"

// RouteEntry is a row of the route table as the attack suite checks it.
type RouteEntry struct {
	Method, Path string
	// Access is "public", "link", "sign-in", "console" or "api".
	Access string
	// Roles may use a console or API route, besides owners.
	Roles []app.Role
}

// RouteTable is every row of s's route table, registered or not.
func (s *Server) RouteTable() []RouteEntry {
	names := map[access]string{public: "public", link: "link", signIn: "sign-in", console: "console", api: "api"}
	var out []RouteEntry
	for _, r := range s.table() {
		out = append(out, RouteEntry{Method: r.method, Path: r.path, Access: names[r.access], Roles: r.roles})
	}
	return out
}
