# Sesame. `make run` starts a console on http://localhost:8080; `make test`
# runs the whole suite (SQLite, PostgreSQL, Chromium).

GO            ?= go
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.version=$(VERSION)
TEMPL_VERSION := $(shell $(GO) list -m -f '{{.Version}}' github.com/a-h/templ)

.PHONY: run build test check generate bench fuzz clean

run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/sesame serve

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/sesame ./cmd/sesame

test:
	./scripts/test.sh

check:
	./scripts/check.sh "$(TEMPL_VERSION)"

generate:
	$(GO) run github.com/a-h/templ/cmd/templ@$(TEMPL_VERSION) generate -path views

bench:
	./scripts/bench.sh

fuzz:
	FUZZTIME=$${FUZZTIME:-1m} ./scripts/fuzz.sh

clean:
	rm -rf bin test-artifacts
