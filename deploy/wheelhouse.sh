#!/usr/bin/env bash
# Build an offline wheelhouse for Canopy on Raspberry Pi OS bookworm (Python 3.11,
# glibc 2.36), for 64-bit (aarch64) and 32-bit (armv7l) Pis, on any machine with PyPI.
#
#   deploy/wheelhouse.sh [--out DIR] [--arch aarch64|armv7l|native]...
#
# Result: DIR/aarch64/*.whl and DIR/armv7l/*.whl. Copy the one for the Pi onto a USB
# stick and run:  sudo deploy/install.sh --wheelhouse /media/usb/wheelhouse/aarch64
#
# Only binary wheels are downloaded (--only-binary=:all:): a Pi must never compile.
# PyPI has no armv7l wheels for some dependencies; the armv7l wheelhouse then lists the
# Debian packages that stand in for them in DIR/armv7l/debian-packages.txt (see
# docs/deploy.md); install.sh installs those with apt and uses them from the venv.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=wheelhouse
ARCHES=()
PYTHON_VERSION=3.11
GLIBC_MINOR=36 # Debian bookworm
PIP=("${PYTHON:-python3}" -m pip) # PYTHON: an interpreter with pip (e.g. a venv's)

# Dependencies PyPI has no 32-bit ARM wheel for, and the bookworm package providing each.
declare -A DEBIAN_ARMV7L=(
	[cffi]=python3-cffi-backend # _cffi_backend, all that compiled modules load
	[cryptography]=python3-cryptography
	[pynacl]=python3-nacl
	[pyyaml]=python3-yaml
	[dbus-fast]=python3-dbus-fast
)

usage() {
	sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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

# pip's --platform names one tag only and implies no older glibc: a wheel tagged
# manylinux_2_28 is found only if manylinux_2_28 is listed. So list them all, from
# manylinux2014 (= 2_17) up to the target's glibc.
platforms() {
	local machine=$1 minor
	printf -- '--platform\nmanylinux2014_%s\n' "$machine"
	for ((minor = 17; minor <= GLIBC_MINOR; minor++)); do
		printf -- '--platform\nmanylinux_2_%s_%s\n' "$minor" "$machine"
	done
	printf -- '--platform\nlinux_%s\n' "$machine"
}

target_args() {
	local machine=$1
	mapfile -t TARGET < <(platforms "$machine")
	TARGET+=(--python-version "$PYTHON_VERSION" --implementation cp
		--abi "$ABI" --abi abi3 --abi none)
}

# name==version of every wheel in a directory (names normalised as pip does).
pins() {
	find "$1" -maxdepth 1 -name '*.whl' -printf '%f\n' | sort | while read -r f; do
		name=${f%%-*}
		rest=${f#*-}
		printf '%s==%s\n' "$(tr '_.' '--' <<<"${name,,}")" "${rest%%-*}"
	done
}

for arch in "${ARCHES[@]}"; do
	case "$arch" in aarch64 | armv7l | native) ;; *)
		printf 'wheelhouse.sh: unknown architecture: %s\n' "$arch" >&2
		exit 1
		;;
	esac
	dest="$OUT/$arch"
	mkdir -p "$dest"
	rm -f "$dest/debian-packages.txt"
	# Canopy itself is pure Python: one wheel fits every Pi.
	"${PIP[@]}" wheel --quiet --no-deps --wheel-dir "$dest" "$SRC"
	wheel=$(find "$dest" -maxdepth 1 -name 'canopy_hub-*.whl' | sort | tail -n 1)
	TARGET=()
	case "$arch" in
	native) ;; # this machine's own platform (for testing the offline install here)
	aarch64) target_args aarch64 ;;
	armv7l)
		# Resolve the versions once (for aarch64, which has every wheel), then fetch each
		# pinned version for armv7l; what PyPI lacks must be one of DEBIAN_ARMV7L.
		resolved=$(mktemp -d)
		target_args aarch64
		"${PIP[@]}" download --quiet --dest "$resolved" --only-binary=:all: \
			"${TARGET[@]}" "$wheel"
		target_args armv7l
		debs=()
		older=()
		failed=()
		while read -r pin; do
			name=${pin%%==*}
			[ "$name" = canopy-hub ] && continue
			fetch() {
				"${PIP[@]}" download --quiet --no-deps --dest "$dest" --only-binary=:all: \
					"${TARGET[@]}" "$1" >/dev/null 2>&1
			}
			if fetch "$pin"; then
				continue
			elif [ -n "${DEBIAN_ARMV7L[$name]:-}" ]; then
				debs+=("${DEBIAN_ARMV7L[$name]}")
			elif fetch "$name"; then
				# an older release still has a wheel for armv7l (e.g. a pure-Python one)
				older+=("$(pins "$dest" | grep "^$name==")")
			else
				failed+=("$name")
			fi
		done < <(pins "$resolved")
		rm -rf "$resolved"
		if [ ${#failed[@]} -gt 0 ]; then
			printf 'wheelhouse.sh: armv7l: no wheel on PyPI and no Debian stand-in for: %s\n' \
				"${failed[*]}" >&2
			exit 1
		fi
		if [ ${#older[@]} -gt 0 ]; then
			printf 'armv7l: older releases with an armv7l wheel: %s\n' "${older[*]}"
		fi
		if [ ${#debs[@]} -gt 0 ]; then
			printf '%s\n' "${debs[@]}" | sort -u >"$dest/debian-packages.txt"
			printf 'armv7l: from Debian instead of PyPI: %s\n' \
				"$(tr '\n' ' ' <"$dest/debian-packages.txt")"
		fi
		printf '%s: %s wheels in %s\n' "$arch" "$(find "$dest" -name '*.whl' | wc -l)" "$dest"
		continue
		;;
	esac
	"${PIP[@]}" download --quiet --dest "$dest" --only-binary=:all: "${TARGET[@]}" "$wheel"
	printf '%s: %s wheels in %s\n' "$arch" "$(find "$dest" -name '*.whl' | wc -l)" "$dest"
done
