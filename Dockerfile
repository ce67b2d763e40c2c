# AssoKit image for AppAPI's docker-install (Docker Socket Proxy or HaRP).
# Stage 1: the page bundle.
FROM node:20-bookworm-slim AS js
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY vite.config.js ./
COPY js/src js/src
COPY l10n l10n
RUN mkdir -p js/dist && npm run build

# Stage 2: the Go binary (cgo for SQLite).
FROM golang:1.26-bookworm AS go
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=js /src/js/dist js/dist
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /assokit ./cmd/assokit

# Stage 3: a small runtime with a libc, CA certificates and curl for the
# health check. HaRP's frpc (from nextcloud/HaRP's exapps_dev) can be added
# with its start.sh as entrypoint; AssoKit listens on /tmp/exapp.sock when
# HP_SHARED_KEY is set.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=go /assokit /usr/local/bin/assokit
ENV LOG_FORMAT=json
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s \
  CMD if [ -n "$HP_SHARED_KEY" ]; then curl -fsS --unix-socket /tmp/exapp.sock http://localhost/heartbeat; \
      else curl -fsS "http://${APP_HOST:-127.0.0.1}:${APP_PORT}/heartbeat"; fi || exit 1
ENTRYPOINT ["/usr/local/bin/assokit"]
