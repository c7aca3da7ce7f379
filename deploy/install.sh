#!/usr/bin/env bash
# Install a Canopy hub on a fresh Raspberry Pi OS Lite (Debian bookworm), in one command.
#
#   sudo deploy/install.sh [--name "Corner Shop"] [--wheelhouse DIR] [render options...]
#
# Idempotent: running it again changes nothing that is already right. --dry-run prints
# what it would do and changes nothing. --root DIR installs into DIR instead of / (for
# tests): apt, useradd, chown and systemctl are then printed, not run. --image installs
# into the running root but starts nothing and leaves the kernel alone: for building an
# SD-card image inside a chroot of it (the services start at the Pi's first boot).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=/
DRY_RUN=0
IMAGE=0
WHEELHOUSE=""
NAME=""
CANOPY=""
PREFIX=/opt/canopy
DATA=/var/lib/canopy
HUB_USER=canopy
MOSQUITTO_DIR=/var/lib/mosquitto
RENDER_ARGS=()
PACKAGES=(python3 python3-venv hostapd dnsmasq-base nftables mosquitto mosquitto-clients chrony rfkill nginx)
SERVICES=(systemd-networkd hostapd canopy-dnsmasq nftables mosquitto chrony canopy-hub canopy-portal.socket)

usage() {
	cat <<'EOF'
Usage: install.sh [options] [render options]

  --name NAME        hub name for `canopy init` (default: the host name)
  --wheelhouse DIR   install Canopy from wheels in DIR, without network
  --root DIR         install into DIR instead of /; system commands are only printed
  --image            building an image (in a chroot): install and enable, start nothing
  --dry-run          print what would be done; change nothing
  --canopy PATH      use this canopy program instead of creating the venv
  --prefix DIR       where the venv goes (default /opt/canopy)
  -h, --help         this help

Render options passed to `canopy deploy render`: --iface --ssid --country --channel
--address --subnet --portal-port --mqtt-port --radio --bridge --journal
EOF
}

die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--root) ROOT=${2:?--root needs a directory}; shift 2 ;;
	--dry-run) DRY_RUN=1; shift ;;
	--image) IMAGE=1; shift ;;
	--wheelhouse) WHEELHOUSE=${2:?--wheelhouse needs a directory}; shift 2 ;;
	--name) NAME=${2:?--name needs a value}; shift 2 ;;
	--canopy) CANOPY=${2:?--canopy needs a path}; shift 2 ;;
	--prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
	--iface | --ssid | --country | --channel | --address | --subnet | --portal-port | \
		--mqtt-port | --radio | --bridge | --journal)
		RENDER_ARGS+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option: $1" ;;
	esac
done

case "$ROOT" in /*) ;; *) ROOT="$(pwd)/$ROOT" ;; esac
ROOT=${ROOT%/}
R() { printf '%s%s' "$ROOT" "$1"; }

say() { printf '%s\n' "$*"; }
# A change to files under ROOT: done unless --dry-run.
run() {
	say "+ $*"
	if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}
# A change to the running system: done only for a real install into /.
system() {
	if [ "$DRY_RUN" = 1 ] || [ -n "$ROOT" ]; then
		say "(skipped) $*"
	else
		say "+ $*"
		"$@"
	fi
}
# Starting services or changing the kernel: not when building an image in a chroot,
# where it would reach the build machine's kernel (sysctl, rfkill) instead of the Pi's.
live() {
	if [ "$IMAGE" = 1 ]; then
		say "(image: at first boot) $*"
	else
		system "$@"
	fi
}

[ "$DRY_RUN" = 1 ] && say "dry run: nothing will be changed"
if [ -z "$ROOT" ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
	die "run as root (sudo), or use --root DIR / --dry-run"
fi

# 1. System packages. A 32-bit (armv7l) wheelhouse names the Debian packages standing in
# for wheels PyPI lacks (deploy/wheelhouse.sh); the venv then sees the system's packages.
DEBIAN_STANDINS=()
if [ -n "$WHEELHOUSE" ] && [ -f "$WHEELHOUSE/debian-packages.txt" ]; then
	mapfile -t DEBIAN_STANDINS < <(grep -v '^[[:space:]]*$' "$WHEELHOUSE/debian-packages.txt")
	PACKAGES+=("${DEBIAN_STANDINS[@]}")
fi
missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}
if [ -z "$ROOT" ] && [ "$DRY_RUN" = 0 ] && [ -z "$(missing_packages)" ]; then
	say "system packages already installed"
else
	system apt-get update
	system env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${PACKAGES[@]}"
fi

# 2. A dedicated user; dialout for the serial radio, _chrony to feed GPS time to chronyd.
if [ -z "$ROOT" ] && id "$HUB_USER" >/dev/null 2>&1; then
	say "user $HUB_USER exists"
else
	system useradd --system --user-group --home-dir "$DATA" --no-create-home \
		--shell /usr/sbin/nologin "$HUB_USER"
fi
system usermod -a -G dialout,_chrony "$HUB_USER"

# 3. The venv, from the wheelhouse (offline) or from this source tree.
TARGET_BIN="$PREFIX/venv/bin/canopy"
if [ -n "$CANOPY" ]; then
	[ -x "$CANOPY" ] || die "--canopy $CANOPY is not executable"
	say "using $CANOPY"
	[ -z "$ROOT" ] && TARGET_BIN=$CANOPY
else
	VENV=$(R "$PREFIX/venv")
	VENV_ARGS=()
	[ ${#DEBIAN_STANDINS[@]} -gt 0 ] && VENV_ARGS=(--system-site-packages)
	if [ ! -x "$VENV/bin/python" ]; then
		run python3 -m venv "${VENV_ARGS[@]}" "$VENV"
	fi
	if [ -n "$WHEELHOUSE" ]; then
		PIP_SOURCE=(--no-index --find-links "$WHEELHOUSE")
		PKG=(canopy-hub)
	else
		PIP_SOURCE=()
		PKG=("$SRC")
	fi
	if [ ${#DEBIAN_STANDINS[@]} -gt 0 ]; then
		# Debian's stand-ins are older than some declared minimums (bookworm ships cffi
		# 1.15, PyYAML 6.0, dbus-fast 1.84): install exactly the wheelhouse, no
		# resolution, and let the import check below judge.
		PIP_SOURCE+=(--no-deps)
		mapfile -t PKG < <(find "$WHEELHOUSE" -maxdepth 1 -name '*.whl' | sort)
	fi
	# --no-compile, then compileall on every core: pip writes the bytecode one module at a
	# time, and a Pi has four slow cores (the hub's first start then compiles nothing)
	run "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-compile \
		"${PIP_SOURCE[@]}" "${PKG[@]}"
	# segno draws the sticker; it is a declared dependency, make sure it is there.
	if [ "$DRY_RUN" = 1 ] || ! "$VENV/bin/python" -c 'import segno' 2>/dev/null; then
		run "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PIP_SOURCE[@]}" segno
	fi
	if [ ${#DEBIAN_STANDINS[@]} -gt 0 ] && [ "$DRY_RUN" = 0 ]; then
		"$VENV/bin/python" -c 'import cbor2, cryptography.hazmat.primitives.ciphers, nacl.bindings, yaml' ||
			die "the venv cannot import Debian's stand-ins: ${DEBIAN_STANDINS[*]}"
	fi
	if [ "$DRY_RUN" = 0 ]; then
		say "+ $VENV/bin/python -m compileall -q -j 0 $VENV/lib"
		"$VENV/bin/python" -m compileall -q -j 0 "$VENV/lib" >/dev/null ||
			say "(some modules have no bytecode; Python compiles them when first imported)"
	fi
	CANOPY="$VENV/bin/canopy"
fi

# 4. The hub identity, once.
DATA_HERE=$(R "$DATA")
if [ -x "$CANOPY" ] && [ -e "$DATA_HERE/identity.json" ] &&
	"$CANOPY" id --data "$DATA_HERE" >/dev/null 2>&1; then
	say "hub already initialised in $DATA_HERE"
else
	run "$CANOPY" init --name "${NAME:-$(hostname)}" --data "$DATA_HERE"
fi
HUB_ID_ARGS=()
if [ -x "$CANOPY" ] && [ -e "$DATA_HERE/identity.json" ]; then
	IDENT=$("$CANOPY" id --json --data "$DATA_HERE")
	# one interpreter for both fields: on a Pi each start costs
	{ read -r FEED16 && IFS= read -r ID_NAME; } < <("$(dirname "$CANOPY")/python" -c \
		'import json,sys; i=json.load(sys.stdin); print(i["feed"][:16]); print(i["name"])' <<<"$IDENT")
	[ -n "$NAME" ] || NAME=$ID_NAME
	HUB_ID_ARGS=(--hub-id "$FEED16")
fi
NAME=${NAME:-$(hostname)}
system chown -R "$HUB_USER:$HUB_USER" "$DATA_HERE"
run chmod 0750 "$DATA_HERE"
run mkdir -p "$(R "$MOSQUITTO_DIR")"
system chown mosquitto: "$(R "$MOSQUITTO_DIR")"

# 5. Render the system files and install those that differ. The units start the daemon and
#    the portal with --config /etc/canopy/canopy.toml, which is rendered here too.
if [ -x "$CANOPY" ]; then
	STAGE=$(mktemp -d)
	trap 'rm -rf "$STAGE"' EXIT
	"$CANOPY" deploy render --out "$STAGE/tree" --source "$SRC" --name "$NAME" \
		--data "$DATA" --canopy-bin "$TARGET_BIN" --user "$HUB_USER" \
		--mosquitto-dir "$MOSQUITTO_DIR" "${HUB_ID_ARGS[@]}" "${RENDER_ARGS[@]}" >/dev/null
	(cd "$STAGE/tree" && find . -type f | sort) | while read -r rel; do
		rel=${rel#./}
		dest=$(R "/$rel")
		mode=$(stat -c %a "$STAGE/tree/$rel")
		if [ -f "$dest" ] && cmp -s "$STAGE/tree/$rel" "$dest" &&
			[ "$(stat -c %a "$dest")" = "$mode" ]; then
			say "unchanged /$rel"
		else
			run install -D -m "$mode" "$STAGE/tree/$rel" "$dest"
		fi
	done
else
	say "(skipped) canopy deploy render: canopy is not installed yet"
fi
system chgrp mosquitto "$(R /etc/mosquitto/mosquitto.conf)" "$(R /etc/mosquitto/canopy.acl)"

# 6. The LAN password file for Mosquitto (created once; the secret stays in the data dir).
SECRET="$DATA_HERE/mqtt-bridge.secret"
PASSWD=$(R /etc/mosquitto/canopy.passwd)
if [ ! -f "$SECRET" ]; then
	say "+ create $SECRET"
	if [ "$DRY_RUN" = 0 ]; then
		(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=\n' >"$SECRET")
	fi
fi
if [ -f "$PASSWD" ]; then
	say "unchanged /etc/mosquitto/canopy.passwd"
elif command -v mosquitto_passwd >/dev/null 2>&1; then
	run mkdir -p "$(dirname "$PASSWD")"
	if [ "$DRY_RUN" = 0 ]; then
		# plain line first, then hashed in place (-U): the secret never shows in `ps`
		(umask 027 && printf 'canopy-bridge:%s\n' "$(cat "$SECRET")" >"$PASSWD" &&
			mosquitto_passwd -U "$PASSWD")
	else
		say "+ mosquitto_passwd -U $PASSWD  (canopy-bridge, secret from $SECRET)"
	fi
else
	say "(skipped) mosquitto_passwd not installed: /etc/mosquitto/canopy.passwd not created"
fi
system chgrp mosquitto "$PASSWD"

# 7. Enable and (re)start the services.
live systemctl daemon-reload
# Raspberry Pi OS keeps Wi-Fi soft-blocked until a country is set; hostapd sets it.
live rfkill unblock wlan
system systemctl unmask hostapd
# Debian's own nginx.service (its default site on port 80) would hold the port the portal's
# socket needs: the portal runs its own nginx (canopy-portal.service), so that one is masked.
live systemctl stop nginx.service || true  # not running: nothing to stop
system systemctl mask nginx.service
system systemctl enable "${SERVICES[@]}"
live sysctl --system
live systemctl restart systemd-journald
live systemctl restart "${SERVICES[@]}"
if [ "$IMAGE" = 1 ]; then
	say "done: the image starts the hub at first boot"
else
	say "done: join the Wi-Fi network and the portal opens (see docs/deploy.md)"
fi
