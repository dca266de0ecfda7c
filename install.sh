#!/usr/bin/env bash
# Install Ward Desk into ./.venv. Idempotent: run it again to update.
#   ./install.sh             the ward app (ward-desk)
#   ./install.sh --district  plus the district receiver (district-desk serve; PostgreSQL driver)
#   ./install.sh --dev       plus the district parts and the test and lint tools
set -euo pipefail
cd "$(dirname "$0")"

extra=""
for arg in "$@"; do
  case "$arg" in
    --dev) extra="[dev]" ;;
    --district) [ -n "$extra" ] || extra="[district]" ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (use --district, --dev or --help)" >&2; exit 2 ;;
  esac
done

py=""
for cand in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python3.10 python; do
  [ -n "$cand" ] || continue
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
    py="$cand"; break
  fi
done
if [ -z "$py" ]; then
  found=$(command -v python3 >/dev/null 2>&1 && python3 -c 'import platform; print(platform.python_version())' || echo "none")
  echo "Ward Desk needs Python 3.10 or newer; found: $found." >&2
  echo "Cần Python 3.10 trở lên; máy đang có: $found. Trên Debian/Ubuntu: sudo apt-get install python3 python3-venv" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$py" -m venv .venv 2>/dev/null; then
    echo "Could not create a virtual environment: install the venv module (Debian/Ubuntu: sudo apt-get install python3-venv)." >&2
    rm -rf .venv
    exit 1
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
# Byte-compile the project now (pip does this for installed packages, not for an
# editable checkout): otherwise every start compiles ~40 modules from source when
# the user cannot write __pycache__ or has PYTHONDONTWRITEBYTECODE set (~0.1 s of
# each launch on one core).
if ! .venv/bin/python -m compileall -q -j 0 ward_desk sync_agent district_desk reports migrations; then
  echo "install.sh: some Ward Desk modules did not byte-compile (listed above); the app would fail to start." >&2
  exit 1
fi
# Likewise the message catalogue, parsed once into its cache (~20 ms off every start).
.venv/bin/python -c "from ward_desk.i18n import build_cache; build_cache()"
echo "Ward Desk installed in $(pwd)/.venv (ward-desk, district-desk)."
