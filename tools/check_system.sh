#!/usr/bin/env bash
# Check what the setup needs from the system: Python 3.11+ with venv (ensurepip), the
# libraries WeasyPrint needs (Pango, HarfBuzz, fontconfig), a font with full Swedish coverage
# and pdftoppm; for the accessibility tests, Debian's chromium (headless, driven over its
# DevTools pipe) and node/npm (to install axe-core from tools/axe/package-lock.json). Install what is missing with apt-get where we can (root on Debian/Ubuntu);
# otherwise print the exact command and fail.
set -euo pipefail

PYTHON=${PYTHON:-python3}
packages=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core poppler-utils chromium nodejs npm)
missing=()

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  missing+=(python3)
elif ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "enkat needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
  echo "install one and run:  make PYTHON=python3.11 ..." >&2
  exit 1
elif ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

# The linker cache is read once: `ldconfig -p | grep -q` under pipefail fails when grep
# exits early and ldconfig gets SIGPIPE. ldconfig is in /sbin, often not on a user's PATH.
libs=$({ command -v ldconfig >/dev/null 2>&1 && ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null || true)
have_lib() { grep -qF "$1" <<<"$libs"; }
have_lib 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
have_lib 'libfontconfig.so.1' || missing+=(libfontconfig1)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system libraries: ok (${packages[*]})"
  exit 0
fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system libraries: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "system libraries missing: ${missing[*]}" >&2
  echo "install them with:  sudo sh -c '$cmd'" >&2
  exit 1
fi
