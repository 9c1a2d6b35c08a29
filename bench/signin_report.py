"""One line of bench/signin.sh: a run of bench/signin_load.rs against the argon2id ceiling
measured before and after it, with the CPU each side spent per sign-in."""
import json
import sys

result, before, after, server_ticks, ticks_per_sec, load_times = sys.argv[1:7]
r = json.loads(result)
before, after = float(before), float(after)
ceiling = (before + after) / 2
flows = max(r["flows"], 1)
server_ms = 1000 * int(server_ticks) / int(ticks_per_sec) / flows
load_ms = 1000 * sum(map(float, load_times.split())) / flows
print(
    f"{r['concurrency']:>3} concurrent: {r['flows_per_sec']:7.1f} flows/s = "
    f"{100 * r['flows_per_sec'] / ceiling:5.1f} % of argon2id alone "
    f"({before:.1f} / {after:.1f} hashes/s before / after); "
    f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; {r['errors']} errors; "
    f"CPU per flow: server {server_ms:.1f} ms, load generator {load_ms:.1f} ms"
)
for error in r["first_errors"]:
    print("    error:", error)
