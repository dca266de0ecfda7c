#!/usr/bin/env bash
# Install Ward Desk into ./.venv. Idempotent: run it again to update.
#   ./install.sh             the ward app (ward-desk)
#   ./install.sh --district  plus the district receiver (district-desk serve; PostgreSQL driver)
#   ./install.sh --dev       plus the district parts and the test and lint tools
#   ./install.sh --bundle DIR --for windows|linux [--python 3.12]
#                            write every wheel the ward app needs on that platform, for Python
#                            3.10-3.13 (or the versions named), plus the installers, into DIR
#                            (a USB stick for a PC with no usable internet)
#   DIR/install.sh           run from a bundle: installs from DIR alone, no network, into
#                            $WARD_DESK_HOME/.venv (default ~/ward-desk/.venv)
set -euo pipefail
cd "$(dirname "$0")"

extra=""
bundle=""
target=""
pythons="3.10,3.11,3.12,3.13"
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) extra="[dev]" ;;
    --district) [ -n "$extra" ] || extra="[district]" ;;
    --bundle) bundle="${2:?install.sh: --bundle needs a folder}"; shift ;;
    --for) target="${2:?install.sh: --for needs windows or linux}"; shift ;;
    --python) pythons="${2:?install.sh: --python needs versions, e.g. 3.12 or 3.10,3.13}"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (use --district, --dev, --bundle DIR --for windows|linux, or --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$bundle" ] && [ "$target" != windows ] && [ "$target" != linux ]; then
  echo "install.sh: --bundle needs --for windows or --for linux" >&2; exit 2
fi
if [ -z "$bundle" ] && [ -n "$target" ]; then
  echo "install.sh: --for goes with --bundle DIR" >&2; exit 2
fi

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

# --- run from an offline bundle: the wheels are beside this script ---------------------------
if [ ! -f pyproject.toml ] && ls ward_desk-*.whl >/dev/null 2>&1; then
  home="${WARD_DESK_HOME:-$HOME/ward-desk}"
  mkdir -p "$home"
  [ -x "$home/.venv/bin/python" ] || "$py" -m venv "$home/.venv" || {
    echo "Could not create a virtual environment: install the venv module (Debian/Ubuntu: sudo apt-get install python3-venv)." >&2
    exit 1; }
  "$home/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index --find-links "$(pwd)" \
    --only-binary=:all: --upgrade ward-desk
  echo "Ward Desk installed from $(pwd) in $home/.venv (no network used): $home/.venv/bin/ward-desk"
  exit 0
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$py" -m venv .venv 2>/dev/null; then
    echo "Could not create a virtual environment: install the venv module (Debian/Ubuntu: sudo apt-get install python3-venv)." >&2
    rm -rf .venv
    exit 1
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null

# --- write an offline bundle ------------------------------------------------------------------
if [ -n "$bundle" ]; then
  mkdir -p "$bundle"
  if [ "$target" = windows ]; then
    platforms=(--platform win_amd64)
  else
    platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
               --platform manylinux1_x86_64 --platform linux_x86_64)
  fi
  rm -f "$bundle"/ward_desk-*.whl
  .venv/bin/python -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$bundle" .
  wheel=$(ls "$bundle"/ward_desk-*.whl)
  IFS=, read -r -a versions <<< "$pythons"
  for version in "${versions[@]}"; do
    echo "install.sh: wheels for Python $version on $target..."
    .venv/bin/python -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
      "${platforms[@]}" --python-version "$version" --implementation cp --dest "$bundle" "$wheel"
  done
  cp install.sh install.ps1 "$bundle"/
  printf '%s\n' "Ward Desk offline bundle for $target, Python $pythons." \
    "Linux: ./install.sh   Windows (PowerShell): powershell -ExecutionPolicy Bypass -File .\\install.ps1" \
    "Both install from this folder alone, with no network." > "$bundle/README.txt"
  echo "Ward Desk bundle for $target (Python $pythons) written to $bundle: $(ls "$bundle"/*.whl | wc -l) wheels."
  exit 0
fi
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
