// Package jobs runs every background job on asynq: task types with id-only
// payloads, one file per handler, the mux, the periodic scheduler and the
// relay that turns outbox rows into tasks.
package jobs

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"newsletter/app/config"
)

// Queue names. Weights give confirmations and request replies priority over
// campaign mail without starving it.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueBulk     = "bulk"
)

// QueueWeights are the relative weights the workers poll the queues with.
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueBulk: 1}

// Queue is the connection to the task queue: a real Redis, or an embedded
// Redis-protocol server in the process.
type Queue struct {
	Opt       asynq.RedisConnOpt
	Client    *asynq.Client
	Inspector *asynq.Inspector
	ping      redis.UniversalClient
	embedded  *miniredis.Miniredis
}

// Connect opens a queue on redisURL (one server, or a group found through
// Redis Sentinel: config.ParseRedisURL), or starts the embedded server when
// redisURL is empty. Every user of the queue's Redis (asynq's client,
// server and inspector, the rate limits, the readiness check) connects
// with the same options, so after a Sentinel failover all of them follow
// the new master.
func Connect(redisURL string) (*Queue, error) {
	q := &Queue{}
	if redisURL == "" {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded queue: %w", err)
		}
		q.embedded = m
		redisURL = "redis://" + m.Addr()
	}
	target, err := config.ParseRedisURL(redisURL)
	if err != nil {
		q.Close()
		return nil, &config.Error{Var: "REDIS_URL", Reason: err.Error()}
	}
	q.Opt = connOpt(target)
	q.Client = asynq.NewClient(q.Opt)
	q.Inspector = asynq.NewInspector(q.Opt)
	q.ping, _ = q.Opt.MakeRedisClient().(redis.UniversalClient)
	return q, nil
}

// Timeouts of every connection to Redis: they bound how long a call waits
// for an unreachable server, so an outage (or the seconds of a failover)
// turns into errors the caller handles rather than hung requests.
const (
	redisDialTimeout  = 2 * time.Second
	redisReadTimeout  = 3 * time.Second
	redisWriteTimeout = 3 * time.Second
	// redisPoolSize is the most connections each client (asynq's client,
	// server and inspector, the plain client) keeps to the server.
	redisPoolSize = 50
)

// connOpt turns a parsed REDIS_URL into asynq's connection options. With
// TLS the certificate of each server and Sentinel is verified against the
// host name or IP it is reached at (the system's roots; SSL_CERT_FILE adds
// a private CA).
func connOpt(r config.Redis) asynq.RedisConnOpt {
	var tlsConfig *tls.Config
	if r.TLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if r.Sentinel() {
		return asynq.RedisFailoverClientOpt{
			MasterName: r.MasterName, SentinelAddrs: r.Addrs,
			SentinelUsername: r.SentinelUsername, SentinelPassword: r.SentinelPassword,
			Username: r.Username, Password: r.Password, DB: r.DB,
			DialTimeout: redisDialTimeout, ReadTimeout: redisReadTimeout, WriteTimeout: redisWriteTimeout,
			PoolSize: redisPoolSize, TLSConfig: tlsConfig,
		}
	}
	return asynq.RedisClientOpt{
		Addr: r.Addrs[0], Username: r.Username, Password: r.Password, DB: r.DB,
		DialTimeout: redisDialTimeout, ReadTimeout: redisReadTimeout, WriteTimeout: redisWriteTimeout,
		PoolSize: redisPoolSize, TLSConfig: tlsConfig,
	}
}

// Embedded reports whether the queue lives inside this process.
func (q *Queue) Embedded() bool { return q.embedded != nil }

// Ping checks that the queue's Redis answers.
func (q *Queue) Ping(ctx context.Context) error {
	if q.ping == nil {
		return fmt.Errorf("queue: no client")
	}
	if err := q.ping.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping queue: %w", err)
	}
	return nil
}

// Redis returns a plain Redis client on the queue's server, for small shared
// state such as rate limits and locks.
func (q *Queue) Redis() redis.UniversalClient { return q.ping }

// Depth returns the number of tasks waiting (pending, scheduled, retrying
// or running) per queue; a queue that never held a task counts 0.
func (q *Queue) Depth() (map[string]int, error) {
	out := map[string]int{}
	names, err := q.Inspector.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	for name := range QueueWeights {
		out[name] = 0
	}
	for _, name := range names {
		info, err := q.Inspector.GetQueueInfo(name)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", name, err)
		}
		out[name] = info.Pending + info.Scheduled + info.Retry + info.Active
	}
	return out, nil
}

// Close releases the connections and stops the embedded server.
func (q *Queue) Close() {
	if q.Client != nil {
		q.Client.Close()
	}
	if q.Inspector != nil {
		q.Inspector.Close()
	}
	if q.ping != nil {
		q.ping.Close()
	}
	if q.embedded != nil {
		q.embedded.Close()
	}
}
