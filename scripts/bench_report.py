#!/usr/bin/env python3
"""Turns scripts/bench's results (one JSON object per line, tagged "name")
into the "Figures" section of docs/PERFORMANCE.md: each figure beside the
limit it is bounded by, measured in the same run, and the ratio.

usage: bench_report.py RESULTS.jsonl WRITE_DOCS(0|1) [SECTION]

SECTION is "figures" (the default) or "scale" (a province-scale run,
scripts/bench --scale/--province: its own section, so that the usual run
does not replace it).
"""
import datetime
import json
import sys

from docs_section import machine, rewrite_section

SECTIONS = {
    "figures": ("<!-- figures:begin (scripts/bench rewrites this section) -->",
                "<!-- figures:end -->"),
    "scale": ("<!-- scale:begin -->", "<!-- scale:end -->"),
}
BEGIN, END = SECTIONS["figures"]


def load(path):
    out = {}
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            out[d["name"]] = d
    return out


def fmt(x, digits=0):
    if x >= 100 or digits == 0:
        return "{:,.0f}".format(x)
    return "{:,.{}f}".format(x, digits)


def main():
    global BEGIN, END
    r = load(sys.argv[1])
    write = sys.argv[2] == "1"
    BEGIN, END = SECTIONS[sys.argv[3] if len(sys.argv) > 3 else "figures"]
    lim = r["limits"]
    after = r.get("limits_after", lim)

    def mean(key):
        return (lim[key] + after[key]) / 2

    ed_all = mean("ed25519_verify_per_s")
    ed_one = mean("ed25519_verify_per_s_one_core")
    sync_us = mean("synced_write_p50_us")
    sha = mean("sha256_entry_per_s")
    rows = []

    def row(figure, value, limit_text, ratio, target, met):
        rows.append("| %s | %s | %s | %s | %s | %s |" % (
            figure, value, limit_text, "%.2f" % ratio if ratio is not None
            else "—", target, {True: "met", False: "**missed**",
                               None: "—"}[met]))

    def cores_share(a):
        # The ratio to the Ed25519 limit as a product of two measured
        # shares (an identity: rate = cores busy ÷ CPU an append): of the
        # cores, those busy; of an append's CPU, its signature check.
        if "cpu_us_per_entry" not in a or not a["seconds"]:
            return ""
        cores = lim.get("cores", 2)
        busy = a["cpu_seconds"] / a["seconds"]
        check_us = cores / ed_all * 1e6
        return ("; the ratio = %.2f (%.2f of %d cores busy) × %.2f (the "
                "signature check's %.0f µs of the %.0f µs of CPU an append)"
                % (busy / cores, busy, cores, check_us / a["cpu_us_per_entry"],
                   check_us, a["cpu_us_per_entry"]))

    for name in sorted((k for k in r if k.startswith("append_")),
                       key=lambda k: r[k]["clients"]):
        a = r[name]
        c = a["clients"]
        # What bounds the latency: how many appends shared a synced write,
        # and how long the writes took (the ledger's groups, same run).
        groups = ("; groups of %.1f, their synced write p99 %.1f ms" %
                  (a["group_mean"], a["sync_p99_us"] / 1000)
                  if "group_mean" in a else "")
        if "cpu_us_per_entry" in a:
            groups += "; %.0f µs of CPU per append" % a["cpu_us_per_entry"]
        # The writer's cycle for a group (means, µs): one group is written
        # at a time, so the timed seconds ÷ the groups is the cycle, made of
        # placing it, its synced write (the store's log, its table) and the
        # hand-over to the next group's leader (the rest).
        cycle = (a["seconds"] * 1e6 / a["groups"] if a.get("groups")
                 else None)
        if "place_mean_us" in a and cycle:
            groups += ("; a group's cycle %.0f µs: placing %.0f, the synced "
                       "write %.0f (the log's write and sync %.0f, the table "
                       "%.0f), the hand-over %.0f" %
                       (cycle, a["place_mean_us"], a["sync_mean_us"],
                        a["log_mean_us"], a["memtable_mean_us"],
                        cycle - a["place_mean_us"] - a["sync_mean_us"]))
        if c <= 16:
            # C clients, each waiting for its own synced write, can do no
            # more than C ÷ the write's latency; nor can any number of
            # clients append faster than the cores verify signatures (every
            # append checks one). The limit is the lower of the two.
            sync_bound = c / (sync_us / 1e6)
            bound = min(sync_bound, ed_all)
            limit_text = "%d ÷ synced write %.2f ms = %s/s" % (
                c, sync_us / 1000, fmt(sync_bound))
            if ed_all < sync_bound:
                limit_text = ("Ed25519 %s verifications/s (all cores), below "
                              "%s" % (fmt(ed_all), limit_text))
            # What the store alone gives 8 synced clients on this disk (no
            # signature, no rule): beside the target's bound, as the ceiling
            # 8 ÷ one write assumes and this disk may not have.
            key = "rocksdb_8_clients_synced_per_s"
            if c == 8 and key in lim and key in after:
                rocks8 = mean(key)
                limit_text += ("; RocksDB alone, 8 synced clients: %s/s "
                               "(this row %.2f of it)" % (
                                   fmt(rocks8), a["entries_per_s"] / rocks8))
            # The ratio to C ÷ one synced write as a product of three
            # measured shares (an identity: rate = group ÷ cycle): of the C
            # clients, those in each group; of a group's synced write, what
            # one small synced write takes; of the cycle, the write.
            if bound == sync_bound and "sync_mean_us" in a and cycle:
                limit_text += ("; the ratio = %.2f (group ÷ clients) × %.2f "
                               "(one synced write ÷ the group's) × %.2f (the "
                               "group's write ÷ its cycle)" % (
                                   a["group_mean"] / c,
                                   sync_us / a["sync_mean_us"],
                                   a["sync_mean_us"] / cycle))
            row("append, %d clients (%s entries)" % (c, fmt(a["entries"])),
                "%s entries/s, p99 %.1f ms%s" % (fmt(a["entries_per_s"]),
                                                 a["p99_us"] / 1000, groups),
                limit_text,
                a["entries_per_s"] / bound, "≥ 0.60; p99 < 10 ms",
                a["entries_per_s"] / bound >= 0.6 and a["p99_us"] < 10000)
        else:
            row("append, %d clients (%s entries)" % (c, fmt(a["entries"])),
                "%s entries/s, p99 %.1f ms%s" % (fmt(a["entries_per_s"]),
                                                 a["p99_us"] / 1000, groups),
                "Ed25519 %s verifications/s (all cores)%s" % (
                    fmt(ed_all), cores_share(a)),
                a["entries_per_s"] / ed_all, "≥ 0.60; p99 < 10 ms",
                a["entries_per_s"] / ed_all >= 0.6 and a["p99_us"] < 10000)

    def cpu(d):
        # CPU seconds of the phase, and what the rate would be with every
        # core busy for it (the machine is shared: wall time is not ours).
        if "cpu_seconds" not in d:
            return ""
        return "; %.1f CPU s, %s entries per CPU-second" % (
            d["cpu_seconds"], fmt(d["entries_per_cpu_s"]))

    at_scale = r["generate"]["entries"] >= 1000000
    v = r["verify"]
    row("piaojue-verify, generated bundle (%s entries)" % fmt(v["entries"]),
        "%s entries/s, peak %.0f MiB%s" % (fmt(v["entries_per_s"]),
                                           v["peak_rss_mib"], cpu(v)),
        "Ed25519 %s/s (all cores)" % fmt(ed_all),
        v["entries_per_s"] / ed_all, "≥ 0.85; < 256 MiB",
        v["entries_per_s"] / ed_all >= 0.85 and v["peak_rss_mib"] < 256)
    if "verify_nosig" in r:
        n = r["verify_nosig"]
        row("piaojue-verify --no-signatures (%s entries)" % fmt(n["entries"]),
            "%s entries/s, peak %.0f MiB%s" % (fmt(n["entries_per_s"]),
                                               n["peak_rss_mib"], cpu(n)),
            "target 500,000 entries/s (SHA-256 of an entry: %s/s on one "
            "core)" % fmt(sha),
            n["entries_per_s"] / 500000, "≥ 1.00",
            n["entries_per_s"] >= 500000)

    b = r["rebuild"]
    row("rebuild every projection (%s entries)" % fmt(b["entries"]),
        "%s entries/s, peak %.0f MiB%s" % (fmt(b["entries_per_s"]),
                                           b["peak_rss_mib"], cpu(b)),
        "target 200,000 entries/s (SHA-256 of an entry: %s/s)" % fmt(sha),
        b["entries_per_s"] / 200000, "≥ 1.00", b["entries_per_s"] >= 200000)
    open_cpu = (", %.0f ms of CPU" % b["open_cpu_ms"]
                if "open_cpu_ms" in b else "")
    row("open the ledger, read-only (%s entries)" % fmt(b["entries"]),
        "%.1f ms%s" % (b["open_ms"], open_cpu),
        "target 1 s at 1,000,000 entries",
        b["open_ms"] / 1000 if at_scale else None, "< 1 s",
        b["open_ms"] < 1000 if at_scale else None)
    if "open_writable" in r:
        o = r["open_writable"]
        row("open the ledger for writing, as `piaojue serve` does (%s "
            "entries)" % fmt(o["entries"]),
            "%.1f ms, %.0f ms of its own CPU; the nonce index checked "
            "after it returns, appends waiting: %.1f ms, %.0f ms of CPU "
            "(RocksDB's background work meanwhile: %.0f ms)" % (
                o["open_ms"], o["open_own_cpu_ms"], o["writable_ms"],
                o["writable_own_cpu_ms"], o["store_background_cpu_ms"]),
            "target 1 s at 1,000,000 entries",
            o["open_ms"] / 1000 if at_scale else None, "< 1 s",
            o["open_ms"] < 1000 if at_scale else None)
    if "serve_rss" in r:
        s = r["serve_rss"]
        row("`piaojue serve` resident memory (%s entries)" %
            fmt(s["entries"]),
            "%.0f MiB after startup (%.1f s), %.0f MiB after a few reads "
            "(%s bytes/entry), peak %.0f MiB" % (
                s["rss_startup_mib"], s["startup_s"],
                s["rss_after_reads_mib"], fmt(s["rss_bytes_per_entry"]),
                s["peak_rss_mib"]),
            "target 1 GiB at 1,000,000 entries",
            s["rss_bytes_per_entry"] * 1e6 / 2**30, "≤ 1.00 (per entry × 10⁶)",
            s["rss_bytes_per_entry"] * 1e6 < 2**30)

    q = r["asof"]
    in_memory = q.get("mode") == "memory"
    row("as_of from the nearest %s (every %s, at most %s "
        "entries folded), %d points over %s entries" %
        ("state kept in memory" if in_memory else "projection snapshot",
         fmt(q.get("every", 0)), fmt(q.get("max_replayed", 0)), q["queries"],
         fmt(q["entries"])),
        "p50 %.1f ms, p99 %.1f ms%s" % (
            q["p50_us"] / 1000, q["p99_us"] / 1000,
            "; %d states kept, resident %.0f MiB after keeping them" %
            (q.get("kept_states", 0), q.get("rss_after_backfill_mib", 0))
            if in_memory else ""),
        "target p99 50 ms at 1,000,000 entries", (q["p99_us"] / 1000) / 50,
        "≤ 1.00 (at 10⁶)", None)

    hs, hl = r["http_small"], r["http_large"]
    flat = hl["append_per_s"] / hs["append_per_s"]
    row("HTTP appends, 64 connections, log of %s entries (groups of %.0f "
        "on average)" % (fmt(hs["log_size_before"]),
                         hs.get("append_group_mean", 0)),
        "%s/s, p99 %.1f ms" % (fmt(hs["append_per_s"]),
                              hs["append_p99_us"] / 1000),
        "target 10,000/s", hs["append_per_s"] / 10000, "≥ 1.00",
        hs["append_per_s"] >= 10000)
    row("HTTP appends, 64 connections, log of %s entries (groups of %.0f "
        "on average)" % (fmt(hl["log_size_before"]),
                         hl.get("append_group_mean", 0)),
        "%s/s, p99 %.1f ms" % (fmt(hl["append_per_s"]),
                              hl["append_p99_us"] / 1000),
        "the same at %s entries" % fmt(hs["log_size_before"]), flat,
        "≈ 1.00 (flat)", flat >= 0.8)
    if "http_wide" in r:
        hw = r["http_wide"]
        row("HTTP appends, 64 connections, write pool of %d, log of %s "
            "entries" % (hw["write_threads"], fmt(hw["log_size_before"])),
            "%s/s, p99 %.1f ms" % (fmt(hw["append_per_s"]),
                                  hw["append_p99_us"] / 1000),
            "target 10,000/s", hw["append_per_s"] / 10000, "≥ 1.00",
            hw["append_per_s"] >= 10000)
    # The typical view: what the portal's proposals page fetches first (the
    # first page of the funnel of the cycle with the most proposals), with
    # gzip asked as browsers ask; and the same view plain, beside it.
    typical = ("GET the typical view (the first page of a %s-proposal "
               "cycle's funnel, %s), gzip asked as browsers do (%s B)" % (
                   fmt(hl.get("view_cycle_proposals", 0)),
                   hl.get("view_target", "a funnel"),
                   fmt(hl.get("view_bytes", 0))))
    plain = "the same view, plain (%s B)" % fmt(hl.get("view_plain_bytes", 0))
    for kind, label in (("checkpoint", "GET /tlog/checkpoint"),
                        ("view", typical), ("view_plain", plain),
                        ("proof", "GET an inclusion proof")):
        if kind + "_per_s" not in hl:
            continue
        row("%s, 64 connections, %s entries" % (label,
                                                fmt(hl["log_size_before"])),
            "%s/s, p99 %.2f ms" % (fmt(hl[kind + "_per_s"]),
                                  hl[kind + "_p99_us"] / 1000),
            "target 20,000/s", hl[kind + "_per_s"] / 20000, "≥ 1.00",
            hl[kind + "_per_s"] >= 20000)
    row("server peak memory, %s entries" % fmt(hl["log_size_before"]),
        "%.0f MiB (%.1f KiB/entry; the process also holds the clients and "
        "their pre-signed request bodies)" % (
            hl["peak_rss_mib"],
            hl["peak_rss_mib"] * 1024 / max(1, hl["log_size_before"])),
        "target 1 GiB at 1,000,000 entries",
        hl["peak_rss_mib"] / max(1, hl["log_size_before"]) * 1e6 / 1024,
        "≤ 1.00 (extrapolated)", None)

    g = r["generate"]
    text = [
        BEGIN,
        "",
        "Measured %s UTC by `scripts/bench` on %s." % (
            datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), machine()),
        "",
        "Limits measured in the same run (mean of the runs before and after):"
        " Ed25519 %s verifications/s on all cores (%s on one), SHA-256 of a "
        "700-byte entry %.1f µs, a synced RocksDB write %.2f ms (p50; "
        "before %.2f, after %.2f)." % (
            fmt(ed_all), fmt(ed_one), 1e6 / sha, sync_us / 1000,
            lim["synced_write_p50_us"] / 1000,
            after["synced_write_p50_us"] / 1000),
        "",
        "Generated province: %s counties (%s jurisdictions), %s entries, "
        "%.1f MB bundle, written at %s entries/s%s, generator peak %.0f "
        "MiB%s." % (
            g["counties"], g["jurisdictions"], fmt(g["entries"]),
            g["bundle_bytes"] / 1e6, fmt(g["entries_per_s"]),
            " (%.0f CPU s)" % g["cpu_seconds"] if "cpu_seconds" in g else "",
            g["peak_rss_mib"],
            " (generated by an earlier run, reused)" if g.get("reused")
            else ""),
        "",
        "| figure | measured | limit (same run) | ratio | target | |",
        "|---|---|---|---|---|---|",
    ] + rows + ["", END]
    section = "\n".join(text)
    print(section)
    if not write:
        return
    rewrite_section("PERFORMANCE.md", BEGIN, END, text[1:-1])
    print("rewrote the figures in docs/PERFORMANCE.md", file=sys.stderr)


if __name__ == "__main__":
    main()
