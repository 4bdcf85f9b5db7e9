package app

import (
	"context"
	"sort"
	"strconv"
	"strings"
)

// AdminID returns the id of the operator the actor names ("admin:ID").
func (a Actor) AdminID() (int64, bool) { return a.id("admin:") }

// SubscriberID returns the id of the subscriber the actor names
// ("subscriber:ID").
func (a Actor) SubscriberID() (int64, bool) { return a.id("subscriber:") }

func (a Actor) id(prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(string(a), prefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// ActorEmails returns the addresses of the operators among actors (as
// stored in the audit log), by admin id, read in one query. An operator
// deleted since is missing.
func (s *Privacy) ActorEmails(ctx context.Context, actors []string) (map[int64]string, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, a := range actors {
		if id, ok := Actor(a).AdminID(); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return s.Store.Admins().AdminEmails(ctx, ids)
}
