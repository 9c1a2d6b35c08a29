"""The report of bench/soak.sh: prints the run and checks it (exit status 1 when a check fails).

Arguments: capacity JSON, held rate, windows.jsonl, rss.csv, tables.csv, the soak's start
(Unix seconds: samples before it belong to the capacity measurement), node logs...
The checks are described at the top of bench/soak.sh.
"""
import csv
import json
import statistics
import sys
from collections import defaultdict

capacity = json.loads(sys.argv[1])
rate = float(sys.argv[2])
windows = [json.loads(line) for line in open(sys.argv[3]) if line.strip()]
rss_rows = list(csv.reader(open(sys.argv[4])))
table_rows = list(csv.reader(open(sys.argv[5])))
soak_start = int(sys.argv[6])
logs = sys.argv[7:]
failures = []

print(f"capacity {capacity['ops_per_sec']:.0f} ops/s ({capacity['errors']} errors while measuring); held {rate:.0f} ops/s")
ops = list(windows[0]["ops"]) if windows else []
print("min  ops/s  errors behind  " + "  ".join(f"{op} p99" for op in ops))
for w in windows:
    p99s = "  ".join(f"{w['ops'][op]['p99_ms']:>{len(op) + 4}.0f}" for op in ops)
    print(f"{w['window']:>3} {w['ops_per_sec']:>6.0f} {w['errors']:>7} {w['behind']:>6}  {p99s}")
    for error in w["first_errors"]:
        print(f"      error: {error}")

errors = sum(w["errors"] for w in windows)
behind = sum(w["behind"] for w in windows)
total = sum(sum(o["ok"] for o in w["ops"].values()) for w in windows)
print(f"operations: {total} succeeded, {errors} failed, {behind} not started (nodes behind)")
if capacity["errors"]:
    failures.append(f"{capacity['errors']} operations failed while capacity was measured")
if errors:
    failures.append(f"{errors} operations failed")
if behind:
    failures.append(f"{behind} operations could not start: the nodes fell behind the held rate")
if len(windows) < 6:
    failures.append(f"only {len(windows)} one-minute windows: run at least 6 minutes")

# p99 stable: median of the last three windows vs the first three after the first (warm-up).
for op in ops:
    series = [w["ops"][op]["p99_ms"] for w in windows[1:] if w["ops"][op]["ok"]]
    if len(series) < 6:
        continue
    first, last = statistics.median(series[:3]), statistics.median(series[-3:])
    print(f"p99 {op}: first minutes {first:.0f} ms, last minutes {last:.0f} ms")
    if last > 1.5 * first and last - first > 5:
        failures.append(f"p99 of {op} grew from {first:.0f} ms to {last:.0f} ms")

# RSS: the soak's second minute (its first warms up) vs its last, per node.
by_node = defaultdict(list)
for t, node, kb in rss_rows:
    if kb and int(t) >= soak_start:
        by_node[node].append((int(t), int(kb)))
for node, samples in sorted(by_node.items()):
    start = soak_start
    early = [kb for t, kb in samples if 60 <= t - start < 120]
    late = [kb for t, kb in samples if t >= samples[-1][0] - 60]
    if not early or not late:
        continue
    a, b = statistics.mean(early), statistics.mean(late)
    growth = (b - a) / a
    print(f"node {node} RSS: {a / 1024:.1f} MB in the second minute, {b / 1024:.1f} MB in the last ({growth:+.1%}), peak {max(kb for _, kb in samples) / 1024:.1f} MB")
    if growth >= 0.10:
        failures.append(f"node {node} RSS grew {growth:.1%}")

# Purged tables: bounded when the end is at most 1.25x the peak of the first half (a small
# table swings with the moment it is sampled, so its mid-soak count alone says little; 20
# rows of slack for tables that are nearly empty). Authorization
# codes are kept an hour past expiry (replay detection) and audit events are kept by design:
# they are reported, not checked.
by_table = defaultdict(list)
for t, table, count in table_rows:
    if count and int(t) >= soak_start:
        by_table[table].append((int(t), int(count)))
unchecked = {"authorization_codes", "audit_events"}
for table, samples in sorted(by_table.items()):
    start, end = samples[0][0], samples[-1][0]
    mid = min(samples, key=lambda s: abs(s[0] - (start + end) / 2))[1]
    first_half_peak = max(c for t, c in samples if t <= (start + end) / 2)
    final = samples[-1][1]
    peak = max(c for _, c in samples)
    bounded = final <= 1.25 * max(first_half_peak, 20)
    note = "kept by design, not checked" if table in unchecked else ("bounded" if bounded else "GROWING")
    print(f"table {table}: {mid} rows at mid-soak, first-half peak {first_half_peak}, {final} at the end, peak {peak} ({note})")
    if note == "GROWING":
        failures.append(f"table {table} grew from a first-half peak of {first_half_peak} to {final} rows")

for log in logs:
    bad = [line.rstrip() for line in open(log) if " ERROR " in line or '"level":"ERROR"' in line or "panicked" in line]
    if bad:
        failures.append(f"{log}: {len(bad)} error lines, first: {bad[0][:200]}")

if failures:
    print("SOAK FAILED:")
    for failure in failures:
        print(f"  - {failure}")
    sys.exit(1)
print("soak passed: zero errors, flat memory, stable p99, purged tables bounded")
