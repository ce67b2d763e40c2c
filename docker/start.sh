#!/bin/sh
# AssoKit's container entrypoint: `start.sh assokit [args]`.
#
# Under HaRP (Nextcloud 32+, HP_SHARED_KEY set) it follows HaRP's start
# contract (nextcloud/HaRP, exapps_dev/start.sh): write frpc's configuration
# and start frpc in the background. frpc logs in to HaRP's FRP server
# (HP_FRP_ADDRESS:HP_FRP_PORT, the shared key as token, TLS with the
# certificates HaRP copies into /certs/frp when that folder holds them) and
# tunnels HaRP's APP_PORT to the unix socket /tmp/exapp.sock, where AssoKit
# listens when HP_SHARED_KEY is set. Without HP_SHARED_KEY (Docker Socket
# Proxy) nothing is added and AssoKit listens on APP_HOST:APP_PORT.
#
# Then AssoKit replaces this shell, so that it receives Docker's signals.
# The configuration goes to $TMPDIR or /tmp (the image runs as a user who
# cannot write to /), readable by that user only: it holds the shared key.
set -eu

if [ -n "${HP_SHARED_KEY:-}" ]; then
	: "${HP_FRP_ADDRESS:?is required when HP_SHARED_KEY is set}"
	: "${HP_FRP_PORT:?is required when HP_SHARED_KEY is set}"
	: "${APP_ID:?is required when HP_SHARED_KEY is set}"
	: "${APP_PORT:?is required when HP_SHARED_KEY is set}"
	# TOML basic strings: escape backslashes and double quotes.
	toml() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }
	conf="${TMPDIR:-/tmp}/frpc.toml"
	umask 077
	{
		printf '%s\n' "serverAddr = $(toml "$HP_FRP_ADDRESS")"
		echo "serverPort = $HP_FRP_PORT"
		echo "loginFailExit = false"
		if [ -f /certs/frp/client.crt ]; then
			echo "transport.tls.enable = true"
			echo 'transport.tls.certFile = "/certs/frp/client.crt"'
			echo 'transport.tls.keyFile = "/certs/frp/client.key"'
			echo 'transport.tls.trustedCaFile = "/certs/frp/ca.crt"'
			echo 'transport.tls.serverName = "harp.nc"'
		else
			echo "transport.tls.enable = false"
		fi
		printf '%s\n' "metadatas.token = $(toml "$HP_SHARED_KEY")"
		echo
		echo "[[proxies]]"
		printf '%s\n' "name = $(toml "$APP_ID")"
		echo 'type = "tcp"'
		echo "remotePort = $APP_PORT"
		echo "[proxies.plugin]"
		echo 'type = "unix_domain_socket"'
		echo 'unixPath = "/tmp/exapp.sock"'
	} >"$conf"
	umask 022
	echo "assokit: HaRP: starting frpc towards $HP_FRP_ADDRESS:$HP_FRP_PORT" >&2
	frpc -c "$conf" &
fi

exec "$@"
