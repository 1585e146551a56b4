#!/usr/bin/env python3
"""The resident memory of `piaojue serve` on a data directory: after
startup (the state loaded from its snapshot, or rebuilt), and after a few
reads (the checkpoint, the cycle list, a cycle's funnel, an inclusion proof
of the last entry, one entry). Prints one line of JSON like piaojue-bench's
verbs: entries, startup_s (until the checkpoint is served), first_views_ms
(the cycle list and a funnel, the first time), first_proof_ms (an
inclusion proof of the last entry), rss_startup_mib, rss_after_reads_mib,
peak_rss_mib (VmHWM), rss_bytes_per_entry (after the reads), stop_s (the
stop, which saves the snapshot), peak_rss_with_stop_mib, stderr (its end:
whether the snapshot was used, and serve's own split of its start). With
ASOF_QUERIES = Q > 0 (at most 10:
serve's per-address budget of past states), then Q reads of the cycle list
`as_of` sizes spread over the log (off the multiples of 1024) and Q of it
now, one at a time: asof_ms (each), asof_status (each: 200, or 503 when
the past state did not fit serve's memory budget), asof_p50_ms and
asof_max_ms (of those answered 200), now_p50_ms, and rss_after_asof_mib.

usage: bench_serve_rss.py PIAOJUE DATA_DIR [PORT] [ASOF_QUERIES]
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=600) as r:
        return r.read()


def main():
    binary, data = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "0" \
        else free_port()
    asof_queries = min(10, int(sys.argv[4])) if len(sys.argv) > 4 else 0
    asof = {}
    base = "http://127.0.0.1:%d" % port
    start = time.monotonic()
    proc = subprocess.Popen([binary, "serve", "--data", data, "--listen",
                             "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        checkpoint = None
        while checkpoint is None:
            if proc.poll() is not None:
                sys.exit("piaojue serve exited: " +
                         proc.stderr.read().decode(errors="replace")[-2000:])
            try:
                checkpoint = get(base, "/tlog/checkpoint").decode()
            except OSError:
                time.sleep(0.2)
        startup_s = time.monotonic() - start
        rss_startup = status_kib(proc.pid, "VmRSS")
        size = int(checkpoint.splitlines()[1])
        # The first reads after the start: views are computed on first
        # use, and the Merkle tree loads into memory in the background.
        began = time.monotonic()
        cycles = json.loads(get(base, "/v1/cycles"))
        items = cycles.get("cycles", cycles) if isinstance(cycles, dict) \
            else cycles
        if isinstance(items, list) and items:
            ref = items[0].get("ref", items[0].get("cycle"))
            if ref is not None:
                get(base, "/v1/cycles/%s/funnel" % ref)
        first_views_ms = (time.monotonic() - began) * 1000
        began = time.monotonic()
        get(base, "/v1/proof/inclusion?index=%d" % (size - 1))
        first_proof_ms = (time.monotonic() - began) * 1000
        get(base, "/v1/entries/%d" % (size // 2))
        rss_after = status_kib(proc.pid, "VmRSS")
        if asof_queries > 0:
            def timed(path):
                t = time.monotonic()
                try:
                    get(base, path)
                    status = 200
                except urllib.error.HTTPError as e:
                    status = e.code
                return (time.monotonic() - t) * 1000, status
            runs = [timed("/v1/cycles?as_of=%d" %
                          (size * q // (asof_queries + 1) + 517))
                    for q in range(1, asof_queries + 1)]
            past = [ms for ms, _ in runs]
            answered = sorted(ms for ms, status in runs if status == 200)
            now = sorted(timed("/v1/cycles")[0] for _ in range(asof_queries))
            asof = {
                "asof_ms": past,
                "asof_status": [status for _, status in runs],
                "asof_p50_ms": (answered[len(answered) // 2]
                                if answered else None),
                "asof_max_ms": max(answered) if answered else None,
                "now_p50_ms": now[len(now) // 2],
                "rss_after_asof_mib": status_kib(proc.pid, "VmRSS") / 1024,
            }
        peak = status_kib(proc.pid, "VmHWM")
    finally:
        # Stopping saves the projections snapshot (DIR/state.snapshot): its
        # time, and the peak over the whole life including it (the child's
        # rusage), are reported too.
        stop = time.monotonic()
        proc.terminate()
        try:
            _, _, usage = os.wait4(proc.pid, 0)
            peak_with_stop = usage.ru_maxrss  # KiB on Linux
        except ChildProcessError:
            peak_with_stop = 0
        stop_s = time.monotonic() - stop
        said = proc.stderr.read().decode(errors="replace")
    print(json.dumps(dict({
        "verb": "serve_rss",
        "entries": size,
        "startup_s": startup_s,
        "first_views_ms": first_views_ms,
        "first_proof_ms": first_proof_ms,
        "rss_startup_mib": rss_startup / 1024,
        "rss_after_reads_mib": rss_after / 1024,
        "peak_rss_mib": peak / 1024,
        "rss_bytes_per_entry": rss_after * 1024 / max(1, size),
        "stop_s": stop_s,
        "peak_rss_with_stop_mib": peak_with_stop / 1024,
        "stderr": said[-1500:],
    }, **asof), ensure_ascii=False))


if __name__ == "__main__":
    main()
