#!/usr/bin/env bash
# Sign-in load: starts a release `tessera serve` on a fresh database, creates a tenant, a
# client and accounts, then drives full browser sign-ins with bench/signin_load.rs
# (authorize → hosted login → consent when shown → code → token → refresh → userinfo):
# N concurrent distinct accounts plus several browsers sharing one account, at 16 and at 64
# at once. Around every run it measures argon2id alone on every core at the server's
# parameters, so sign-ins read as a ratio of what the machine can hash. It ends with the
# server's peak memory (VmHWM) and, on PostgreSQL, the deadlocks the server detected.
#
# Usage: bench/signin.sh [seconds per run, default 10]
#   BENCH_POSTGRES=postgres://user@host/db   run on a fresh database created on that server
#                                            (dropped afterwards) instead of SQLite
#   BENCH_ARGON2=cheap                       m=8 KiB, t=1 (measures the rest of the path)
#   BENCH_SIGNING_ALG=ES256                  the client's token signing algorithm (RS256)
#   BENCH_CONCURRENCY="16 64"                the runs
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
port="${BENCH_PORT:-18081}"
target_dir="${CARGO_TARGET_DIR:-target}"

cargo build --release --quiet --bin tessera --example signin-load
bin="$target_dir/release/tessera"
load="$target_dir/release/examples/signin-load"
work=$(mktemp -d)
database=""
cleanup() {
  kill "${server:-0}" 2>/dev/null || true
  wait "${server:-0}" 2>/dev/null || true
  if [ -n "$database" ]; then psql -q "$BENCH_POSTGRES" -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export TESSERA_SERVER__DATA_DIR="$work"
if [ -n "${BENCH_POSTGRES:-}" ]; then
  database="tessera_bench_$$"
  psql -q "$BENCH_POSTGRES" -c "CREATE DATABASE \"$database\""
  export TESSERA_DATABASE__URL
  TESSERA_DATABASE__URL=$(python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p._replace(path='/'+sys.argv[2]).geturl())" "$BENCH_POSTGRES" "$database")
else
  export TESSERA_DATABASE__URL="sqlite://$work/bench.db"
fi
export TESSERA_SERVER__LISTEN="127.0.0.1:$port"
export TESSERA_SERVER__PUBLIC_URL="http://127.0.0.1:$port"
# The load generator gives every simulated browser its own address through X-Forwarded-For.
export TESSERA_SERVER__TRUSTED_PROXIES="127.0.0.1"
export TESSERA_LOG__LEVEL=warn
export TESSERA_KEYS__MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
if [ "${BENCH_ARGON2:-default}" = "cheap" ]; then
  export TESSERA_ARGON2__MEMORY_KIB=8 TESSERA_ARGON2__ITERATIONS=1
fi
m="${TESSERA_ARGON2__MEMORY_KIB:-19456}"; t="${TESSERA_ARGON2__ITERATIONS:-2}"
password="bench password $$"
concurrency="${BENCH_CONCURRENCY:-16 64}"
shared=4

field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
"$bin" tenant create bench >/dev/null
client=$("$bin" client create --tenant bench --name bench --redirect-uri http://127.0.0.1:9/callback \
  --signing-alg "${BENCH_SIGNING_ALG:-RS256}" --json)
client_id=$(field client_id <<<"$client"); client_secret=$(field client_secret <<<"$client")
most=0; for c in $concurrency; do [ "$c" -gt "$most" ] && most=$c; done
for n in $(seq 0 $((most - shared - 1))); do
  printf '%s' "$password" | "$bin" account create --tenant bench --email "user$n@bench.example" --password-stdin >/dev/null
done
printf '%s' "$password" | "$bin" account create --tenant bench --email shared@bench.example --password-stdin >/dev/null

echo "tessera $("$bin" --version | awk '{print $2}') on $(nproc) cores, database: ${TESSERA_DATABASE__URL%%:*}, argon2id m=$m t=$t, signing ${BENCH_SIGNING_ALG:-RS256}, ${seconds}s per run"
# The machine is shared and its speed drifts: argon2id alone is measured before and after every
# run (the server paused), and each run is compared with the mean of the two around it.
argon2_alone() { "$load" --argon2-only "$m,$t,1" --seconds 5 --json | field argon2_hashes_per_sec; }
ceiling=$(argon2_alone)

"$bin" serve >/dev/null 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done

if [ -n "${BENCH_PROFILE:-}" ]; then
  perf record -F 999 -e cpu-clock -o "$BENCH_PROFILE" -p "$server" >/dev/null 2>&1 &
  profiler=$!
fi
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # user + system ticks of a process
for c in $concurrency; do
  before=$(cpu "$server")
  # --flag=value: a secret may begin with '-'.
  result=$(/usr/bin/time -f '%U %S' -o "$work/load.time" "$load" --issuer="http://127.0.0.1:$port/t/bench" \
    --client-id="$client_id" --client-secret="$client_secret" --password="$password" \
    --accounts=$((c - shared)) --shared-browsers="$shared" --seconds="$seconds" --json)
  server_ticks=$(( $(cpu "$server") - before ))
  kill -STOP "$server"; after=$(argon2_alone); kill -CONT "$server"
  python3 bench/signin_report.py "$result" "$ceiling" "$after" "$server_ticks" "$(getconf CLK_TCK)" \
    "$(cat "$work/load.time")"
  ceiling=$after
done
if [ -n "${profiler:-}" ]; then kill -INT "$profiler"; wait "$profiler" || true; fi
peak=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
awk -v kb="$peak" 'BEGIN { printf "server peak RSS: %.1f MB\n", kb / 1024 }'
if [ -n "$database" ]; then
  deadlocks=$(psql -Atq "$BENCH_POSTGRES" -c "SELECT deadlocks FROM pg_stat_database WHERE datname = '$database'")
  echo "PostgreSQL deadlocks detected: $deadlocks"
fi
if grep -qiE "error|locked|deadlock" "$work/serve.log"; then
  echo "server log:"; grep -iE "error|locked|deadlock" "$work/serve.log" | head -5
fi
