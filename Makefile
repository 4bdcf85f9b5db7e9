# Common tasks. `make test` is the test command CI runs (see README.md).
GO ?= go

.PHONY: run build test lint bench fuzz

run:
	$(GO) run ./cmd/newsletter

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o newsletter ./cmd/newsletter

test:
	$(GO) test -race -count=1 -timeout 20m -coverprofile=coverage.out ./...
	$(GO) tool cover -func=coverage.out | tail -1

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	.ci/fuzz
