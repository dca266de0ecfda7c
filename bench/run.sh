#!/usr/bin/env bash
# Run every benchmark in bench/ on one pinned core against a generated store.
#   bench/run.sh                       stores in /tmp/ward-bench-1m{,-plain}, generated if missing
#   bench/run.sh --store DIR [--plain-store DIR] [--dossiers N] [--core C] [--only NAME]
# Each bench/bench_*.py is called as
#   taskset -c C python bench/bench_X.py --data-dir STORE --user admin
# except bench_sync.py (two cores, its own stores; BENCH_SYNC_DB=postgresql://... for PostgreSQL)
# with WARD_DESK_PASSWORD, WARD_BENCH_STORE and WARD_BENCH_PLAIN_STORE exported, and its
# output saved under bench/out/<date>/bench_X.log (the Markdown tables go to summary.md).
set -euo pipefail
cd "$(dirname "$0")/.."

store=/tmp/ward-bench-1m
plain=""
dossiers=1000000
core=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --store) store="$2"; shift 2 ;;
    --plain-store) plain="$2"; shift 2 ;;
    --dossiers) dossiers="$2"; shift 2 ;;
    --core) core="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$plain" ] || plain="${store}-plain"
py=.venv/bin/python
[ -x "$py" ] || { echo "run.sh: no .venv; run ./install.sh --dev first" >&2; exit 1; }
command -v taskset >/dev/null || { echo "run.sh: taskset not found (util-linux)" >&2; exit 1; }

if [ ! -f "$store/ward.db" ]; then
  echo "== generating $dossiers dossiers into $store"
  "$py" bench/generate.py --out "$store" --dossiers "$dossiers"
fi
if [ ! -f "$plain/ward.db" ]; then
  echo "== generating $dossiers dossiers into $plain (plain SQLite)"
  "$py" bench/generate.py --out "$plain" --dossiers "$dossiers" --plain
fi

out="bench/out/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
export WARD_DESK_PASSWORD=bench-password WARD_BENCH_STORE="$store" WARD_BENCH_PLAIN_STORE="$plain"
{
  echo "# Bench run $(date -Iseconds)"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores; pinned to core $core"
  echo "- RAM: $(free -h | awk '/^Mem:/ {print $2}'); disk: $(df -h "$store" | awk 'NR==2 {print $1, $2}')"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
} > "$out/summary.md"

status=0
for bench in bench/bench_*.py; do
  name=$(basename "$bench" .py)
  [ -z "$only" ] || [ "$name" = "$only" ] || [ "$name" = "bench_$only" ] || continue
  if [ "$name" = bench_sync ]; then
    # Its target is "on 2 cores" and it builds its own ward and district;
    # BENCH_SYNC_DB=postgresql://... runs it against PostgreSQL instead of SQLite.
    cmd=(taskset -c 0,1 "$py" "$bench" ${BENCH_SYNC_DB:+--db "$BENCH_SYNC_DB"})
  else
    cmd=(taskset -c "$core" "$py" "$bench" --data-dir "$store" --user admin)
  fi
  echo "== $name (${cmd[*]:0:3})"
  if "${cmd[@]}" 2>&1 | tee "$out/$name.log"; then
    { echo "## $name"; echo; grep '^|' "$out/$name.log" || echo "(no table)"; echo; } >> "$out/summary.md"
  else
    status=1
    { echo "## $name"; echo; echo "FAILED: see $name.log"; echo; } >> "$out/summary.md"
  fi
done
echo "== figures: $out/summary.md"
exit $status
