# AssoKit. `make run` starts the embedded demo; `make test` runs every test.
GO       ?= go
BIN      := bin/assokit
DEV_BIN  := bin/assokit-dev
NPM_DEPS := node_modules/.package-lock.json
JS_OUT   := js/dist/assokit-main.js

.PHONY: run test test-go test-browser lint build build-dev js bench register info-xml image appstore screenshots clean

run: build-dev ## the embedded demo on http://127.0.0.1:8080
	./$(DEV_BIN) dev

test: build build-dev test-go test-browser ## unit, end-to-end and browser tests

test-go: $(JS_OUT)
	$(GO) vet ./...
	$(GO) vet -tags dev ./cmd/assokit
	$(GO) test -race -count=1 ./...

test-browser: build-dev $(NPM_DEPS)
	ASSOKIT_BIN=$(DEV_BIN) npm run test:browser

lint: $(JS_OUT)
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	$(GO) vet ./...
	$(GO) vet -tags dev ./cmd/assokit

# The production binary: it links no fake and no demo. Most of an idle
# AssoKit's memory is its own code mapped from the binary (make bench), so it
# is stripped, leaves out net/http's HTTP/2, which AssoKit never speaks
# (Nextcloud's proxy, HaRP's tunnel and Paheko talk HTTP/1.1 with it), and
# SQLite is compiled for size: AssoKit's queries are few and small.
PROD_FLAGS  := -trimpath -tags nethttpomithttp2 -ldflags="-s -w"
PROD_CFLAGS := -Os
build: $(JS_OUT)
	CGO_ENABLED=1 CGO_CFLAGS="$(PROD_CFLAGS)" $(GO) build $(PROD_FLAGS) -o $(BIN) ./cmd/assokit

# The same program with the embedded demo (`assokit-dev dev`).
build-dev: $(JS_OUT)
	CGO_ENABLED=1 $(GO) build -tags dev -o $(DEV_BIN) ./cmd/assokit

js: $(NPM_DEPS)
	npm run build

# npm ci installs exactly the committed lock file (which records every
# platform's optional packages) and never rewrites it.
$(NPM_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

$(JS_OUT): $(NPM_DEPS) vite.config.js $(wildcard js/src/*) $(wildcard l10n/*.json)
	npm run build

bench: build build-dev $(NPM_DEPS) ## figures: binary size, idle memory (median of 7 starts), start time, API latency, member sync, sign-on, transfer, tours
	@echo "binary size: $$(stat -c %s $(BIN)) bytes"
	@node js/bench/bundle-size.mjs
	$(GO) test -run '^$$' -bench Startup -benchtime 7x -count=1 ./cmd/assokit
	$(GO) test -run '^$$' -bench 'StatusAPI|SignOn' -benchmem -count=1 ./cmd/assokit
	$(GO) test -run '^$$' -bench . -benchtime 5x -count=1 ./internal/membersync
	$(GO) test -run '^$$' -bench . -benchtime 3x -count=1 ./internal/transfer
	ASSOKIT_BIN=$(DEV_BIN) node js/bench/tour-timing.mjs

# Prints (and with RUN=1 runs, exactly as printed) the two occ commands that
# register a manually started AssoKit with a real Nextcloud. APP_SECRET and
# APP_PORT must be the values AssoKit runs with; OCC is how to call occ, e.g.
# OCC="sudo -u www-data php /var/www/nextcloud/occ"; APP_HOST_FOR_NC is the
# host where Nextcloud reaches AssoKit; NEXTCLOUD_URL where AssoKit reaches
# Nextcloud. On a Nextcloud server without Go, `assokit register-json` prints
# the --json-info (see README.md). TRANSLATIONS_FOLDER is AssoKit's l10n/ as
# seen from the Nextcloud host (absolute; empty for none): AppAPI installs it
# so that the top-menu names and the settings form follow each user's language.
OCC             ?= php occ
APP_HOST_FOR_NC ?= localhost
APP_PORT        ?= 23000
NEXTCLOUD_URL   ?= http://localhost
TRANSLATIONS_FOLDER ?= $(CURDIR)/l10n
register: export APP_PORT := $(APP_PORT)
register: export TRANSLATIONS_FOLDER := $(TRANSLATIONS_FOLDER)
register: build
	@test -n "$$APP_SECRET" || (echo "set APP_SECRET (the value AssoKit was started with)"; exit 1)
	@json=$$(./$(BIN) register-json) || exit 1; \
	json=$$(printf '%s' "$$json" | sed "s/'/'\\\\''/g"); \
	daemon="$(OCC) app_api:daemon:register manual_install 'Manual install' manual-install http $(APP_HOST_FOR_NC) $(NEXTCLOUD_URL)"; \
	app="$(OCC) app_api:app:register assokit manual_install --json-info '$$json' --wait-finish"; \
	printf '%s\n' "$$daemon" "$$app"; \
	if [ "$(RUN)" = 1 ]; then eval "$$daemon" || true; eval "$$app"; fi

# Where the Docker image is published: build settings. `make info-xml` writes
# them into appinfo/info.xml's <docker-install>, which AppAPI pulls from (the
# committed file holds these defaults); `make image` builds the image under
# that name, e.g. make image REGISTRY=docker.io IMAGE=myassociation/assokit.
VERSION   := $(shell sed -n 's|^\s*<version>\(.*\)</version>|\1|p' appinfo/info.xml)
REGISTRY  ?= ghcr.io
IMAGE     ?= assokit/assokit
IMAGE_TAG ?= $(VERSION)
info-xml:
	sed -i -e 's|<registry>[^<]*</registry>|<registry>$(REGISTRY)</registry>|' \
		-e 's|<image>[^<]*</image>|<image>$(IMAGE)</image>|' \
		-e 's|<image-tag>[^<]*</image-tag>|<image-tag>$(IMAGE_TAG)</image-tag>|' appinfo/info.xml

image: info-xml
	docker build -t $(REGISTRY)/$(IMAGE):$(IMAGE_TAG) .

# PNGs of every page and state, from the demo, into screenshots/ (README).
screenshots: build-dev $(NPM_DEPS)
	ASSOKIT_BIN=$(DEV_BIN) node js/screenshots.mjs

# The app-store archive: the manifest, the translations Nextcloud installs
# from its l10n/ (top-menu names, settings form), the icons and the licence.
appstore: js
	rm -rf build/assokit && mkdir -p build/assokit/appinfo
	cp appinfo/info.xml build/assokit/appinfo/
	cp -r l10n img LICENSE build/assokit/
	tar -czf build/assokit.tar.gz -C build assokit
	@echo "build/assokit.tar.gz"

clean:
	rm -rf bin node_modules js/dist/*.js js/dist/*.css
