#!/usr/bin/env bash
# Footprint: time from process start to the first discovery answer (median of 5 starts),
# resident memory when idle, and the peak under client_credentials load (wrk, if installed).
# Reads /proc: Linux only. Uses SQLite in a temp dir unless TESSERA_DATABASE__URL is set.
#
# Usage: bench/footprint.sh [seconds of load, default 10]
#   TESSERA_BIN=path/to/tessera   measures that binary instead of building this checkout
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
port="${BENCH_PORT:-18081}"
if [ -z "${TESSERA_BIN:-}" ]; then cargo build --release --quiet; fi
bin="${TESSERA_BIN:-${CARGO_TARGET_DIR:-target}/release/tessera}"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

export TESSERA_SERVER__DATA_DIR="$work"
export TESSERA_DATABASE__URL="${TESSERA_DATABASE__URL:-sqlite://$work/bench.db}"
export TESSERA_SERVER__LISTEN="127.0.0.1:$port"
export TESSERA_SERVER__PUBLIC_URL="http://127.0.0.1:$port"
export TESSERA_LOG__LEVEL=warn
export TESSERA_KEYS__MASTER_KEY="$(head -c 32 /dev/urandom | base64)"

"$bin" tenant create bench >/dev/null
created=$("$bin" client create --tenant bench --name es256 --grant client_credentials --signing-alg ES256 --json)
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
auth=$(printf '%s:%s' "$(field client_id <<<"$created")" "$(field client_secret <<<"$created")" | base64 -w0)
discovery="http://127.0.0.1:$port/t/bench/.well-known/openid-configuration"
kib() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }

starts=()
for _ in 1 2 3 4 5; do
  began=$(date +%s%N)
  "$bin" serve >/dev/null 2>>"$work/serve.log" &
  server=$!
  until curl -fs -o /dev/null "$discovery"; do sleep 0.001; done
  starts+=($(( ($(date +%s%N) - began) / 1000000 )))
  kill "$server"; wait "$server" 2>/dev/null || true
done
median=$(printf '%s\n' "${starts[@]}" | sort -n | sed -n 3p)

"$bin" serve >/dev/null 2>>"$work/serve.log" &
server=$!
until curl -fs -o /dev/null "$discovery"; do sleep 0.01; done
sleep 3
idle=$(kib "$server" VmRSS)
echo "tessera $("$bin" --version | awk '{print $2}') on $(nproc) cores, database: ${TESSERA_DATABASE__URL%%:*}"
printf '%-40s %6s ms   (runs: %s)\n' "start to first discovery answer, median" "$median" "${starts[*]}"
printf '%-40s %6.1f MB\n' "resident memory, idle" "$(echo "$idle / 1024" | bc -l)"
if command -v wrk >/dev/null; then
  AUTH=$auth BODY=grant_type=client_credentials wrk -t1 -c32 -d"${duration}s" -s bench/token.lua \
    "http://127.0.0.1:$port/t/bench/token" | awk '/Requests\/sec/ {printf "%-40s %6s req/s\n", "client_credentials ES256 under load", $2}'
  printf '%-40s %6.1f MB\n' "resident memory, peak (after the load)" "$(echo "$(kib "$server" VmHWM) / 1024" | bc -l)"
else
  echo "(no wrk: apt-get install wrk for the peak under load)"
fi
