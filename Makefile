# Herald's two commands: `make dev` and `make test`. Both bring up their own
# PostgreSQL and Redis (installing them on Debian when missing).
SHELL := /bin/bash
GO ?= go
BIN := bin/herald
DEV_DB ?= herald
export HERALD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(DEV_DB)?sslmode=disable

.PHONY: dev test services services-browser build generate fmt vet ci fuzz bench bench-portal chaos

## dev: start services, migrate, seed the demo firm and serve the portal.
## SIMULATE=1 also runs `herald simulate` in the background (SIMULATE_RATE,
## default 6/m) so the demo keeps receiving messy CMS webhooks; its progress
## goes to bin/simulate.log and it stops with the server.
SIMULATE_RATE ?= 6/m
dev: services build
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DEV_DB)'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $(DEV_DB)"
	$(BIN) migrate up
	$(BIN) seed --demo
	@echo ""
	@echo "  Herald is starting at http://127.0.0.1:8080  (dev sign-in: pick any name and role)"
	@echo ""
	@secret=$${HERALD_WEBHOOK_SECRET_GENERIC:-dev-generic-secret}; \
	if [ -n "$(SIMULATE)" ]; then \
		echo "  simulating CMS webhooks at $(SIMULATE_RATE); progress in bin/simulate.log"; \
		( sleep 5; exec $(BIN) simulate --url http://127.0.0.1:8080 --rate "$(SIMULATE_RATE)" --secret "$$secret" ) \
			2>>bin/simulate.log & sim=$$!; \
		trap 'kill $$sim 2>/dev/null' EXIT; \
	fi; \
	HERALD_ENV=dev HERALD_DEV_LOGIN=true HERALD_DELIVERY=sandbox HERALD_WEBHOOK_SECRET_GENERIC="$$secret" \
		$(BIN) run

## test: start services, then run every test against real PostgreSQL and Redis
test: services-browser
	$(GO) test -count=1 -timeout 20m ./...
	@.ci/fuzz

services:
	@.ci/services

services-browser:
	@.ci/services --browser

build: generate
	$(GO) build -o $(BIN) .

## generate: regenerate templ components (the generated files are committed)
generate:
	$(GO) tool templ generate -log-level error

## fuzz: every fuzz target for FUZZTIME executions each (default 5000x; see .ci/fuzz)
fuzz:
	@.ci/fuzz

## bench: every `herald bench` scenario at full size (about 15 minutes; not part of make test)
bench: services
	$(GO) run . bench all

## bench-portal: GET /cases over 100,000 cases and a 10,000-message client timeline, p95 against
## each page's bare SQL in the same run (the first run seeds a template database, about a minute)
bench-portal: services
	$(GO) test -run '^$$' -bench 'Cases|Timeline' -benchtime 100x ./app/web/ ./app/portal/

## chaos: the fault suite (app/chaos); it runs its own PostgreSQL, Redis and herald processes (never the shared ones) and kills them; several minutes, not part of make test
chaos:
	HERALD_CHAOS=1 $(GO) test -count=1 -timeout 20m -v ./app/chaos/

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

ci:
	bash .ci/run
