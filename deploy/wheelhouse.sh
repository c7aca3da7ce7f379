#!/usr/bin/env bash
# Build an offline wheelhouse for Canopy on Raspberry Pi OS bookworm (Python 3.11),
# for 64-bit (aarch64) and 32-bit (armv7l) Pis, on any machine with internet.
#
#   deploy/wheelhouse.sh [--out DIR] [--arch aarch64|armv7l|native]...
#
# Result: DIR/aarch64/*.whl and DIR/armv7l/*.whl. Copy the one for the Pi onto a USB
# stick and run:  sudo deploy/install.sh --wheelhouse /media/usb/wheelhouse/aarch64
#
# Only binary wheels are downloaded (--only-binary=:all:): a Pi must never compile.
# 32-bit wheels that PyPI lacks come from piwheels, the Raspberry Pi wheel index.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=wheelhouse
ARCHES=()
PYTHON_VERSION=3.11
PIP=(python3 -m pip)

usage() {
	sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=${2:?--out needs a directory}; shift 2 ;;
	--arch) ARCHES+=("${2:?--arch needs aarch64 or armv7l}"); shift 2 ;;
	--python-version) PYTHON_VERSION=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; printf 'wheelhouse.sh: unknown option: %s\n' "$1" >&2; exit 1 ;;
	esac
done
[ ${#ARCHES[@]} -gt 0 ] || ARCHES=(aarch64 armv7l)
ABI="cp${PYTHON_VERSION/./}"

for arch in "${ARCHES[@]}"; do
	case "$arch" in
	aarch64)
		PLATFORMS=(--platform manylinux_2_36_aarch64 --platform linux_aarch64)
		INDEX=()
		;;
	armv7l)
		PLATFORMS=(--platform manylinux_2_36_armv7l --platform linux_armv7l)
		INDEX=(--extra-index-url https://www.piwheels.org/simple)
		;;
	native)
		# this machine's own platform (for testing the offline install here)
		PLATFORMS=()
		INDEX=()
		;;
	*)
		printf 'wheelhouse.sh: unknown architecture: %s\n' "$arch" >&2
		exit 1
		;;
	esac
	dest="$OUT/$arch"
	mkdir -p "$dest"
	# Canopy itself is pure Python: one wheel fits every Pi.
	"${PIP[@]}" wheel --quiet --no-deps --wheel-dir "$dest" "$SRC"
	wheel=$(find "$dest" -maxdepth 1 -name 'canopy_hub-*.whl' | sort | tail -n 1)
	TARGET=()
	if [ ${#PLATFORMS[@]} -gt 0 ]; then
		TARGET=("${PLATFORMS[@]}" --python-version "$PYTHON_VERSION" --implementation cp
			--abi "$ABI" --abi abi3 --abi none)
	fi
	"${PIP[@]}" download --quiet --dest "$dest" --only-binary=:all: \
		"${TARGET[@]}" "${INDEX[@]}" "$wheel"
	printf '%s: %s wheels in %s\n' "$arch" "$(find "$dest" -name '*.whl' | wc -l)" "$dest"
done
