# make test is exactly what CI runs (.ci/run calls it).
.PHONY: run test check openapi bench build lint

GO ?= go

run:
	$(GO) run ./cmd/sharedcare

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/sharedcare ./cmd/sharedcare

# The tests, on SQLite and on PostgreSQL (127.0.0.1:5432 unless
# SHAREDCARE_TEST_POSTGRES_URL says otherwise), plus vet and gofmt.
test: lint
	$(GO) test -count=1 ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# Regenerate the OpenAPI document in openapi/ from the swag annotations.
openapi:
	$(GO) tool swag init --quiet -g server.go -d internal/httpapi,internal/router,internal/workflow -o openapi --outputTypes go,json --packageName openapi --parseInternal

# Benchmarks of create, read and update on PostgreSQL and SQLite.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
