# AssoKit image for AppAPI's docker-install (Docker Socket Proxy or HaRP).
# `make image` builds it under the name of appinfo/info.xml's docker-install
# (REGISTRY, IMAGE, IMAGE_TAG: see the Makefile).

# Stage 1: the page bundle.
FROM node:20-bookworm-slim AS js
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY vite.config.js ./
COPY js/src js/src
COPY l10n l10n
RUN mkdir -p js/dist && npm run build

# Stage 2: the Go binaries. AssoKit with cgo (SQLite); HaRP's tunnel client
# frpc from its Go module (github.com/fatedier/frp, built without its web
# dashboard), static.
FROM golang:1.26-bookworm AS go
ARG FRP_VERSION=v0.68.0
WORKDIR /frpc
RUN go mod init frpc \
    && go get github.com/fatedier/frp/cmd/frpc@${FRP_VERSION} \
    && CGO_ENABLED=0 go build -tags noweb -trimpath -ldflags="-s -w" -o /out/frpc github.com/fatedier/frp/cmd/frpc
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=js /src/js/dist js/dist
# The same flags as `make build` (see the Makefile).
RUN CGO_ENABLED=1 CGO_CFLAGS="-Os" go build -trimpath -tags nethttpomithttp2 -ldflags="-s -w" -o /out/assokit ./cmd/assokit

# Stage 3: a small runtime with a libc and CA certificates, run as the
# unprivileged user assokit.
#  - /nc_app_assokit_data is where AppAPI mounts AssoKit's volume
#    (APP_PERSISTENT_STORAGE); owned by assokit in the image, a new volume
#    takes that owner, so the SQLite database is writable.
#  - /certs/frp, owned by assokit, is where HaRP copies frpc's TLS files.
#  - AppAPI copies Nextcloud's CA bundle into /usr/local/share/ca-certificates;
#    update-ca-certificates cannot run as assokit, so SSL_CERT_DIR makes Go
#    trust that folder too.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /nc_app_assokit_data --shell /usr/sbin/nologin assokit \
    && mkdir -p /nc_app_assokit_data /certs/frp \
    && chown assokit:assokit /nc_app_assokit_data /certs/frp
COPY --from=go /out/frpc /out/assokit /usr/local/bin/
COPY docker/start.sh /usr/local/bin/start.sh
ENV LOG_FORMAT=json \
    APP_PERSISTENT_STORAGE=/nc_app_assokit_data \
    SSL_CERT_DIR=/etc/ssl/certs:/usr/local/share/ca-certificates
USER assokit
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/assokit", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/start.sh"]
CMD ["/usr/local/bin/assokit"]
