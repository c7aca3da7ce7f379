#!/bin/sh
# Install the Debian packages Canopy needs on a development or CI machine.
#   deploy/system-deps.sh demo   what `make demo` needs
#   deploy/system-deps.sh test   what `make test` needs (the demo's, plus test tools)
# Fails loudly when a package cannot be installed: tests must not silently skip.
set -eu

profile="${1:-test}"
demo_pkgs="python3 python3-venv python3-dev build-essential mosquitto mosquitto-clients nginx"
# debootstrap, qemu-user-static, binfmt-support: the emulated Raspberry Pi OS root of
# tests/deploy/test_board_arm64.py, which also brings its own chrony and hostapd to check
# the rendered configs with, so neither is installed on (nor replaces a service of) this
# machine.
test_pkgs="$demo_pkgs chromium dnsmasq-base nftables busybox shellcheck wrk iproute2 bind9-dnsutils systemd util-linux debootstrap qemu-user-static binfmt-support"

case "$profile" in
  demo) pkgs="$demo_pkgs" ;;
  test) pkgs="$test_pkgs" ;;
  *) echo "usage: $0 demo|test" >&2; exit 64 ;;
esac

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# Debian enables the mosquitto and nginx services on install; tests start their own, and
# the portal runs nginx itself (canopy portal, systemd/canopy-portal.service).
echo "system packages ready ($profile)"
