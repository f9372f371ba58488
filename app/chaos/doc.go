// Package chaos is Herald's fault suite: tests that try hard to lose or
// duplicate a message and check, with a ledger checker, that they cannot.
//
// Each test runs the real `herald` binary (serve, work or run) as child
// processes against a PostgreSQL cluster and a redis-server the suite starts
// for itself (never the machine's shared ones, which it kills, stops and
// restarts), with delivery going to local fake SendGrid and Twilio servers
// (app/delivery/providertest). The checker records every event id a signed
// webhook got 2xx for on the client side and every send the fake providers
// accepted, and asserts lost = acknowledged − delivered − dead = 0 and no
// duplicate sends; a send whose outcome Herald could not know (a worker
// killed between provider accept and commit) must be surfaced as
// outcome_unknown, never re-sent.
//
// The scenarios are those of issue 7: kill -9 of the API and of the worker,
// SIGTERM of the worker, Redis restarted without persistence, PostgreSQL
// stopped with -m immediate, toxiproxy latency/timeouts/resets on the Redis
// and PostgreSQL links, provider 429/500/timeouts, and one event posted 50
// times at once. Run them with `make chaos` (HERALD_CHAOS=1 go test ./app/chaos).
package chaos
