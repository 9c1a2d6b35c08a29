#!/usr/bin/env bash
# Legacy import speed and memory: generates RECORDS legacy records (bench/legacy_users.py),
# imports them into a fresh tenant with a release `tessera import`, and prints records per
# second and the importer's peak resident memory (GNU time), against the targets of issue 14
# (>= 5,000 records/s on SQLite, >= 2,000/s on PostgreSQL, 1 M records under 150 MB). Then
# imports the same file again (every record unchanged) and reports that rate too.
#
# Usage: bench/import.sh [records, default 20000]
#   BENCH_POSTGRES=postgres://user@host/db   on a fresh database created on that server
#                                            (dropped afterwards) instead of SQLite
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-20000}"
cargo build --release --quiet --bin tessera
bin="${CARGO_TARGET_DIR:-target}/release/tessera"
work=$(mktemp -d)
database=""
cleanup() {
  if [ -n "$database" ]; then psql -q "$BENCH_POSTGRES" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export TESSERA_SERVER__DATA_DIR="$work"
export TESSERA_LOG__LEVEL=warn
export TESSERA_KEYS__MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
if [ -n "${BENCH_POSTGRES:-}" ]; then
  database="tessera_bench_$(date +%s)"
  psql -q "$BENCH_POSTGRES" -c "CREATE DATABASE \"$database\""
  export TESSERA_DATABASE__URL="${BENCH_POSTGRES%/*}/$database?sslmode=disable"
  engine=postgresql target=2000
else
  export TESSERA_DATABASE__URL="sqlite://$work/bench.db"
  engine=sqlite target=5000
fi

python3 bench/legacy_users.py "$records" > "$work/users.jsonl"
"$bin" migrate >/dev/null
"$bin" tenant create bench >/dev/null

run() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" import --tenant bench "$work/users.jsonl" \
    --report "$work/report.json" 2>/dev/null
  read -r seconds kib < "$work/time"
  python3 - "$records" "$seconds" "$kib" "$target" "$1" "$work/report.json" <<'PY'
import json, sys
records, seconds, kib, target, label, report = sys.argv[1:]
records, seconds, kib, target = int(records), float(seconds), int(kib), int(target)
rate = records / max(seconds, 0.001)
r = json.load(open(report))
print(f"{label:<10} {records} records in {seconds:.1f} s: {rate:,.0f} records/s "
      f"({rate / target:.2f} of the {target:,}/s target), peak RSS {kib / 1024:.0f} MB; "
      f"created {r['created']}, accounts {r['accounts_created']}, unchanged {len(r['unchanged'])}, "
      f"errors {len(r['errors'])}")
PY
}
echo "engine: $engine"
run first
run again
