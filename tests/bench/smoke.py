#!/usr/bin/env python3
"""Smoke test of piaojue-bench (ctest bench_smoke): runs every verb at tiny
sizes and checks that its last stdout line is JSON holding the fields
docs/PERFORMANCE.md ("The driver") documents, with sane values. No timing
is asserted. Also checks that piaojue-verify accepts the generated bundle.

usage: smoke.py PIAOJUE_BENCH PIAOJUE_VERIFY
"""
import json
import shutil
import subprocess
import sys
import tempfile

BENCH, VERIFY = sys.argv[1], sys.argv[2]
PCT = ["p50_us", "p99_us", "p999_us"]
FIELDS = {
    "limits": ["cores", "ed25519_verify_per_s", "ed25519_verify_per_s_one_core",
               "sha256_entry_per_s", "sha256_entry_us", "synced_writes_per_s",
               "rocksdb_8_clients_synced_per_s"]
    + ["synced_write_" + p for p in PCT],
    "append": ["entries", "clients", "seconds", "entries_per_s", "groups",
               "group_mean", "group_max", "cpu_seconds", "cpu_us_per_entry",
               "sync_mean_us", "place_mean_us", "log_mean_us",
               "memtable_mean_us"]
    + PCT + ["sync_" + p for p in PCT],
    "generate": ["entries", "counties", "jurisdictions", "seconds",
                 "entries_per_s", "bundle_bytes", "vkey", "peak_rss_mib",
                 "cpu_seconds"],
    "verify": ["verdict", "entries", "seconds", "entries_per_s",
               "peak_rss_mib", "cpu_seconds", "entries_per_cpu_s"],
    "rebuild": ["entries", "open_ms", "open_cpu_ms", "seconds",
                "entries_per_s", "peak_rss_mib", "cpu_seconds",
                "entries_per_cpu_s", "fold_cpu_seconds",
                "entries_per_fold_cpu_s"],
    "open": ["entries", "writable", "open_ms", "open_cpu_ms", "writable_ms",
             "writable_cpu_ms", "open_own_cpu_ms", "writable_own_cpu_ms",
             "store_background_cpu_ms", "writable_status", "peak_rss_mib"],
    "asof": ["entries", "queries", "seconds", "queries_per_s"] + PCT,
    "sign": ["entries", "origin", "jurisdictions", "cycles", "log_size",
             "sign_seconds"],
    "http": ["clients", "log_size_before", "peak_rss_mib"]
    + [k + "_" + f
       for k in ("append", "checkpoint", "view", "view_plain", "proof")
       for f in ["per_s", "requests", "failures"] + PCT]
    + ["append_groups", "append_group_mean", "append_group_max",
       "view_target", "view_bytes", "view_plain_bytes",
       "view_cycle_proposals", "view_encoding"],
}
failures = []


def run(verb, *args):
    p = subprocess.run([BENCH, verb, *args], capture_output=True, text=True,
                       timeout=300)
    if p.returncode != 0:
        failures.append("%s exited %d: %s" % (verb, p.returncode, p.stderr))
        return {}
    lines = p.stdout.strip().splitlines()
    try:
        out = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError) as e:
        failures.append("%s: last line is not JSON (%s): %r" %
                        (verb, e, p.stdout[-200:]))
        return {}
    missing = [f for f in FIELDS[verb] if f not in out]
    if missing:
        failures.append("%s: missing fields %s" % (verb, missing))
    if out.get("verb") != verb:
        failures.append("%s: verb field is %r" % (verb, out.get("verb")))
    for k, v in out.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
            failures.append("%s: %s is negative" % (verb, k))
    return out


work = tempfile.mkdtemp(prefix="bench-smoke-")
try:
    run("limits", "--seconds", "0.1")
    a = run("append", "--data", work + "/append", "--entries", "40",
            "--clients", "4", "--counties", "2")
    if a and a["entries"] != 40:
        failures.append("append: entries %r, asked 40" % a["entries"])
    # The log's write and sync and the table's insert are parts of the
    # synced write (means over the same groups, each rounded to 0.1 µs).
    if a and a.get("log_mean_us", 0) + a.get("memtable_mean_us", 0) > \
            a.get("sync_mean_us", 0) + 1:
        failures.append("append: the log and table %r + %r µs exceed the "
                        "synced write %r µs" %
                        (a["log_mean_us"], a["memtable_mean_us"],
                         a["sync_mean_us"]))
    g = run("generate", "--out", work + "/p.bundle", "--entries", "100",
            "--data", work + "/province")
    if g:
        if g["entries"] < 100 or g["jurisdictions"] != 3 * g["counties"]:
            failures.append("generate: %r" % g)
        p = subprocess.run([VERIFY, work + "/p.bundle", "--vkey", g["vkey"]],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            failures.append("piaojue-verify refused the generated bundle "
                            "(exit %d): %s" % (p.returncode, p.stdout[-500:]))
        v = run("verify", "--bundle", work + "/p.bundle", "--vkey", g["vkey"])
        if v and (v["verdict"] != "VALID" or v["entries"] != g["entries"]):
            failures.append("verify: %r" % v)
        v = run("verify", "--bundle", work + "/p.bundle", "--vkey", g["vkey"],
                "--no-signatures")
        if v and (v["verdict"] != "VALID" or v["signatures"] is not False):
            failures.append("verify --no-signatures: %r" % v)
        # A province told in windows of one story event per county.
        w = run("generate", "--out", work + "/w.bundle", "--entries", "100",
                "--window", "1", "--data", work + "/windowed")
        if w and open(work + "/w.bundle", "rb").read() != \
                open(work + "/p.bundle", "rb").read():
            failures.append("generate --window 1 wrote other bytes")
        r = run("rebuild", "--data", work + "/province")
        if r and r["entries"] != g["entries"]:
            failures.append("rebuild: %r" % r)
        for flags in ([], ["--writable"]):
            o = run("open", "--data", work + "/province", *flags)
            if o and (o["entries"] != g["entries"]
                      or o["writable"] != bool(flags)
                      or o["writable_status"] != ("OK" if flags else
                                                  o["writable_status"])
                      or o["writable_ms"] < o["open_ms"]):
                failures.append("open %s: %r" % (flags, o))
        q = run("asof", "--data", work + "/province", "--queries", "3")
        if q and q["queries"] != 3:
            failures.append("asof: %r" % q)
        h = run("http", "--data", work + "/province", "--clients", "2",
                "--seconds", "0.6", "--sse", "3")
        if h and (h["append_requests"] < 1 or h["append_failures"] != 0
                  or h["proof_failures"] != 0 or h["view_failures"] != 0
                  or h["view_plain_failures"] != 0
                  # the typical view is a cycle of the province, its first
                  # page compressed when it is large enough to be
                  or not h["view_target"].endswith("/funnel")
                  or h["view_cycle_proposals"] < 1
                  or (h["view_plain_bytes"] >= 1024)
                  != (h["view_encoding"] == "gzip")
                  or (h["view_encoding"] == "gzip"
                      and h["view_bytes"] >= h["view_plain_bytes"])):
            failures.append("http: %r" % h)
        # Every listener received every event appended while it listened,
        # each formatted once.
        if h and (h.get("sse_listeners") != 3
                  or h.get("sse_append_failures") != 0
                  or h.get("sse_min_events_received")
                  != h.get("sse_events_expected")
                  or h.get("sse_events_formatted")
                  != h.get("sse_events_expected")
                  or h.get("sse_streams_dropped") != 0):
            failures.append("http --sse: %r" % h)
    s = run("sign", "--data", work + "/signed", "--entries", "30",
            "--counties", "3", "--out", work + "/bodies.jsonl")
    if s:
        bodies = [json.loads(line) for line in open(work + "/bodies.jsonl")]
        if (len(bodies) != 30 or len(s["cycles"]) != 3 or
                any(sorted(b) != ["authored", "signature"] for b in bodies)):
            failures.append("sign: %r, %d bodies" % (s, len(bodies)))
finally:
    shutil.rmtree(work, ignore_errors=True)

for f in failures:
    print("FAIL:", f)
print("bench smoke: %d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
