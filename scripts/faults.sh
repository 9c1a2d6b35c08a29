#!/usr/bin/env bash
# The fault tests at full length (issue 20): kill -9 of a node under writes, a PostgreSQL
# restart, crash and 30 s outage under load, an unreachable database, a full disk and a
# read-only filesystem under SQLite, clock skew between nodes, and a long random sequence of
# cross-tenant attacks. CI runs the same tests in their short form (5 s outage, 24 steps).
#
# Needs root (tmpfs mounts, iptables), PostgreSQL's server binaries (initdb, pg_ctl) and
# Debian's faketime: with CI=true a missing one fails the run instead of skipping its test.
set -euo pipefail
cd "$(dirname "$0")/.."

export TESSERA_TEST_POSTGRES_URL="${TESSERA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
export TESSERA_FAULT_OUTAGE_SECS="${TESSERA_FAULT_OUTAGE_SECS:-30}"
export TESSERA_ISOLATION_STEPS="${TESSERA_ISOLATION_STEPS:-200}"
export CI=true

cargo test --locked --test api -- faults:: node_kill:: outage:: disk:: clock:: isolation:: health::
