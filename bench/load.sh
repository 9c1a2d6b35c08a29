#!/usr/bin/env bash
# Load test: starts a release `tessera serve` on a fresh database, registers a tenant and
# clients, and measures with wrk (Debian package `wrk`) against loopback only:
#   - client_credentials tokens signed with RS256 and with ES256,
#   - introspection, discovery and JWKS,
# then prints `openssl speed` for RSA-2048 and P-256 signing on the same cores, the ceiling
# the token rates are compared against.
#
# Usage: bench/load.sh [seconds per run, default 10]
# Uses SQLite in a temp dir unless TESSERA_DATABASE__URL is set (e.g. a PostgreSQL database).
# wrk and the server share the machine: on 2 cores, wrk's thread takes part of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
port="${BENCH_PORT:-18080}"
connections="${BENCH_CONNECTIONS:-32}"

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/tessera"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

export TESSERA_SERVER__DATA_DIR="$work"
export TESSERA_DATABASE__URL="${TESSERA_DATABASE__URL:-sqlite://$work/bench.db}"
export TESSERA_SERVER__LISTEN="127.0.0.1:$port"
export TESSERA_SERVER__PUBLIC_URL="http://127.0.0.1:$port"
export TESSERA_LOG__LEVEL=warn
export TESSERA_KEYS__MASTER_KEY="$(head -c 32 /dev/urandom | base64)"

"$bin" tenant create bench >/dev/null
client() { "$bin" client create --tenant bench --name "$1" --grant client_credentials --signing-alg "$2" --json; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
rs=$(client rs256 RS256); es=$(client es256 ES256)
rs_auth=$(printf '%s:%s' "$(field client_id <<<"$rs")" "$(field client_secret <<<"$rs")" | base64 -w0)
es_auth=$(printf '%s:%s' "$(field client_id <<<"$es")" "$(field client_secret <<<"$es")" | base64 -w0)
# The RS256 client introspects the ES256 client's tokens: a resource server needs tokens:introspect.
"$bin" role create --tenant bench introspector >/dev/null
"$bin" role permit --tenant bench introspector tokens:introspect >/dev/null
"$bin" role grant --tenant bench introspector --client "$(field client_id <<<"$rs")" >/dev/null

"$bin" serve >/dev/null 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done

base="http://127.0.0.1:$port/t/bench"
token=$(curl -fs -X POST -H "Authorization: Basic $es_auth" -d grant_type=client_credentials "$base/token" | field access_token)

run() {
  local name=$1; shift
  local rate
  rate=$("$@" | awk '/Requests\/sec/ {print $2}')
  printf '%-34s %10s req/s\n' "$name" "$rate"
}
wrk_form() { AUTH=$1 BODY=$2 wrk -t1 -c"$connections" -d"${duration}s" -s bench/token.lua "$3"; }

echo "tessera $("$bin" --version | awk '{print $2}') on $(nproc) cores, ${duration}s per run, $connections connections, database: ${TESSERA_DATABASE__URL%%:*}"
run "token client_credentials RS256" wrk_form "$rs_auth" grant_type=client_credentials "$base/token"
run "token client_credentials ES256" wrk_form "$es_auth" grant_type=client_credentials "$base/token"
run "introspect (ES256 access token)" wrk_form "$rs_auth" "token=$token" "$base/introspect"
run "discovery" wrk -t1 -c"$connections" -d"${duration}s" "$base/.well-known/openid-configuration"
run "jwks" wrk -t1 -c"$connections" -d"${duration}s" "$base/jwks.json"
grep -v "^$" "$work/serve.log" | grep -iv "warn.*generated" | head -5 || true

echo
echo "Signing ceiling on this machine (openssl speed, $(nproc) processes):"
openssl speed -seconds 5 -multi "$(nproc)" rsa2048 ecdsap256 2>/dev/null | grep -E "^(rsa 2048|[ ]*256 bits ecdsa)" || true
