#!/usr/bin/env bash
# Fuzzing (issue 20): builds the cargo fuzz targets under fuzz/ with the nightly toolchain and
# runs each over its committed corpus (fuzz/corpus/TARGET), two at a time.
#
# Usage: scripts/fuzz.sh [--runs N | --seconds S] [--dev] [--merge] [TARGET...]
#   --seconds S   run each target S seconds (default 30)
#   --runs N      run each target N executions (the README records 10,000,000 each)
#   --dev         build without optimisations: quick to build after a change, slower to
#                 run (CI's smoke)
#   --merge       afterwards, fold what the runs found into the committed corpora: only
#                 inputs that reach new code join them
# Built without AddressSanitizer (FUZZ_SANITIZER=address turns it on): the code under test
# is safe Rust, the sanitizer halved the rate, and panics and failed assertions are what
# the targets look for.
# New inputs go to a scratch corpus under $FUZZ_WORK (default /var/tmp/tessera-fuzz-work) and
# crashes to fuzz/artifacts/TARGET/; the script exits non-zero when any target crashed.
# Needs the nightly toolchain and cargo-fuzz (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

limit="-max_total_time=30"
merge=false
targets=()
build=(--sanitizer "${FUZZ_SANITIZER:-none}")
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) limit="-max_total_time=$2"; shift 2 ;;
    --runs) limit="-runs=$2"; shift 2 ;;
    --merge) merge=true; shift ;;
    --dev) build+=(--dev); shift ;;
    *) targets+=("$1"); shift ;;
  esac
done
rustup toolchain list | grep -q '^nightly' || { echo "the nightly toolchain is required" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
# Optimised and unoptimised builds in directories of their own: either can build while the
# other runs.
case " ${build[*]} " in
  *" --dev "*) export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/tessera-fuzz-target}-dev" ;;
  *) export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/tessera-fuzz-target}" ;;
esac
work="${FUZZ_WORK:-/var/tmp/tessera-fuzz-work}"
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)

cargo +nightly fuzz build "${build[@]}"
mkdir -p "$work"
run_one() {
  local target=$1
  mkdir -p "$work/$target"
  # Scratch corpus first (new inputs are written there), the committed one second.
  if cargo +nightly fuzz run $FUZZ_BUILD "$target" "$work/$target" "fuzz/corpus/$target" -- \
      "$limit" -print_final_stats=1 >"$work/$target.log" 2>&1; then
    echo "$target: $(grep -a -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -oE '[0-9]+$') executions, no crash"
  else
    echo "$target: FAILED (see $work/$target.log and fuzz/artifacts/$target/)"
    grep -a -m5 -E 'panicked|ERROR|SUMMARY' "$work/$target.log" || true
    return 1
  fi
}
export -f run_one
export limit work
export FUZZ_BUILD="${build[*]}"
failed=0
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one {}' || failed=1
if $merge; then
  for target in "${targets[@]}"; do
    # libFuzzer's merge: only inputs that add coverage join the committed corpus.
    cargo +nightly fuzz run "${build[@]}" "$target" "fuzz/corpus/$target" "$work/$target" -- -merge=1 \
      >"$work/$target.merge.log" 2>&1
  done
fi
exit "$failed"
