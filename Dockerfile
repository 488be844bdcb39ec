# syntax=docker/dockerfile:1
#
# sharedcare: FHIR R4 server for shared cancer care records.
#
# Build:  docker build -t sharedcare .
# Run:    docker run --rm -p 8080:8080 -v sharedcare-data:/data sharedcare
#
# By default the server keeps its data in an SQLite database at
# /data/sharedcare.db (a volume). Point SHAREDCARE_DATABASE_URL at PostgreSQL
# (postgres://...) for production or for running more than one replica.

############################
# Build stage
############################
FROM golang:1.26-bookworm AS build

WORKDIR /src

# Download modules in their own layer so that source-only changes reuse the cache.
COPY go.mod go.sum ./
RUN go mod download

COPY . .

# Pure Go (the SQLite driver is CGO-free), so the result is a static binary.
# docker build --build-arg VERSION=1.2.3 stamps the version /metadata reports.
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/sharedcare ./cmd/sharedcare

# Empty directory for the default SQLite database, owned by the distroless
# "nonroot" user (65532). The final image has no shell to create it.
RUN mkdir -p /out/data && chown 65532:65532 /out/data

############################
# Runtime stage
############################
FROM gcr.io/distroless/static-debian12:nonroot

LABEL org.opencontainers.image.title="sharedcare" \
      org.opencontainers.image.description="FHIR R4 server for shared cancer care records" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/sharedcare/sharedcare"

COPY --from=build /out/sharedcare /sharedcare
COPY --from=build --chown=65532:65532 /out/data /data

WORKDIR /

ENV SHAREDCARE_ADDR=:8080 \
    SHAREDCARE_DATABASE_URL=sqlite:/data/sharedcare.db

EXPOSE 8080

USER 65532:65532

VOLUME /data

# No HEALTHCHECK instruction: distroless has no shell, curl or wget. Instead the
# binary has a "healthcheck" subcommand: `/sharedcare healthcheck` exits 0 when
# GET http://127.0.0.1:<port>/healthz returns 200 (port taken from
# SHAREDCARE_ADDR) and non-zero otherwise. Orchestrators can use it, e.g.
#   docker compose:  healthcheck: { test: ["CMD", "/sharedcare", "healthcheck"] }
#   docker run:      --health-cmd '/sharedcare healthcheck'
# Kubernetes should use httpGet probes on /healthz and /readyz instead.
ENTRYPOINT ["/sharedcare"]
