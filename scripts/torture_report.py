#!/usr/bin/env python3
"""Turns scripts/torture's results (JSON) into its summary and into the
figures of the "Torture" section of docs/RELIABILITY.md.

usage: torture_report.py RESULTS.json [--docs]
  prints the figures; --docs also rewrites them in docs/RELIABILITY.md
"""
import statistics
import sys

from docs_section import machine, rewrite_section  # noqa: F401 (machine: scripts/torture)

BEGIN = "<!-- torture:begin (scripts/torture rewrites this section) -->"
END = "<!-- torture:end -->"


def n(x):
    return "{:,}".format(x)


def spread(values, unit="s"):
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    return "median %.2f %s, max %.2f %s" % (statistics.median(values), unit,
                                            max(values), unit)


def lines(r):
    """The figures as Markdown lines."""
    kill, term = r.get("kill", []), r.get("term", [])
    out = []
    load = r.get("load_average_at_end")
    out.append("Last run: %s, `scripts/torture` at commit %s (seed %d%s), "
               "%.1f minutes "
               "on %s; the machine was shared with other builds and tests "
               "(load average %s at the end), so times are indicative." % (
                   r.get("started", "?"), r.get("commit", "?"),
                   r.get("seed", 0),
                   ", --quick" if r.get("options", {}).get("quick") else "",
                   r.get("seconds", 0) / 60, r.get("machine", "?"),
                   "%.1f" % load[0] if load else "?"))
    out.append("")
    faults = r.get("faults", {})
    out.append("Faults injected: %s." % ", ".join(
        "%s × %s" % (n(v), k) for k, v in sorted(faults.items())) or "none")
    out.append("")
    out.append("| rounds | what was done | what was found |")
    out.append("|---|---|---|")
    if kill:
        variants = {}
        for x in kill:
            variants[x["variant"]] = variants.get(x["variant"], 0) + 1
        acked = sum(x["acked"] for x in kill)
        doubt = sum(x["in_doubt"] for x in kill)
        stored = sum(x.get("in_doubt_stored", 0) for x in kill)
        out.append(
            "| %d SIGKILL | %d writers posting signed proposals over "
            "keep-alive, killed %s s in (%s) | %s entries acknowledged, "
            "%s missing; %s entries streamed to %s event-stream clients, "
            "%s of them missing from the log after the restart; "
            "%d answers lost in the kill, resubmitted: %d had "
            "been stored (409 duplicate), %d had not (201); piaojue-verify "
            "passed %d/%d; served views equal a rebuild %d/%d; checkpoint "
            "never smaller after restart (%d/%d); restart %s |" % (
                len(kill), r["options"]["writers"],
                "%.1f–%.1f" % (r["options"]["kill_min"],
                               r["options"]["kill_max"]),
                "; ".join("%d %s" % (v, k) for k, v in sorted(
                    variants.items())), n(acked),
                n(sum(x["missing"] for x in kill)),
                n(sum(sum(x.get("streamed", [])) for x in kill)),
                r["options"].get("listeners", 0),
                n(sum(x.get("streamed_missing", 0) for x in kill)),
                doubt, stored,
                doubt - stored, sum(1 for x in kill if x["verified"]),
                len(kill), sum(1 for x in kill if x["views_equal_rebuild"]),
                len(kill), sum(1 for x in kill
                               if x["checkpoint_after_restart"] >=
                               x["checkpoint_before"]), len(kill),
                spread([x["restart_s"] for x in kill])))
    if term:
        refused = sum(x["refused"].get("shutting_down", 0) for x in term)
        unsent = sum(x["refused"].get("connection refused", 0) for x in term)
        out.append(
            "| %d SIGTERM | the same load, SIGTERM %s s in | exit status 0 "
            "in %d/%d, shutdown %s; %s entries acknowledged, %s missing; "
            "%s entries streamed, %s of them missing from the log; "
            "%d write(s) refused 503 `shutting_down` and %d connection(s) "
            "refused while stopping, none of those writes appended (each "
            "accepted 201 when resubmitted); views equal a rebuild "
            "%d/%d; piaojue-verify passed %d/%d; restart %s |" % (
                len(term), "%.1f–%.1f" % (r["options"]["kill_min"],
                                          r["options"]["kill_max"]),
                sum(1 for x in term if x["exit"] == 0), len(term),
                spread([x.get("shutdown_s") for x in term]),
                n(sum(x["acked"] for x in term)),
                n(sum(x["missing"] for x in term)),
                n(sum(sum(x.get("streamed", [])) for x in term)),
                n(sum(x.get("streamed_missing", 0) for x in term)),
                refused, unsent,
                sum(1 for x in term if x["views_equal_rebuild"]), len(term),
                sum(1 for x in term if x["verified"]), len(term),
                spread([x["restart_s"] for x in term])))
    final = r.get("final")
    if final:
        out.append(
            "| whole log after the rounds | every entry read back over "
            "`GET /v1/entries`; piaojue-verify with every checkpoint kept "
            "(%d) | %s entries; %s acknowledged, %s found at the index and "
            "leaf hash they were acknowledged with; %d signed events present "
            "twice; piaojue-verify %s |" % (
                r.get("final_verify_checkpoints", 0),
                n(final["log_size"]), n(final["acked"]), n(final["found"]),
                final["duplicates"],
                "passed" if r.get("final_verify") else "**failed**"))
    for d in r.get("disk", []):
        if "refused_503" not in d:
            out.append("| disk full %d | — | did not complete (see "
                       "problems) |" % d["round"])
            continue
        out.append(
            "| disk full %d | a %d MiB tmpfs as the data directory, filled "
            "while 4 writers post; then a start on a full disk | %d writes "
            "refused 503 `unavailable`, server alive, reads 200 (%d "
            "endpoints); writes resumed %s s after freeing space, no "
            "restart; %s acknowledged, %d missing; started full: reads %s, "
            "writes %s%s |" % (
                d["round"], d["tmpfs_mib"], d["refused_503"],
                len(d["reads_when_full"]), d["writes_resumed_after_s"],
                n(d["acked"]), d["missing"], d["start_full_read"],
                d["start_full_write"],
                (", the store opened read-only (said on stderr), so writes "
                 "came back after a restart once space was freed"
                 if d.get("start_full_read_only") else
                 ", writes needed a restart once space was freed")
                if d.get("start_full_restart_needed") else
                ", writes accepted once space was freed, without a restart"))
    if r.get("disk_skipped"):
        out.append("| disk full | — | skipped: %s |" % r["disk_skipped"])
    for f in r.get("fds", []):
        out.append(
            "| descriptors, %s | `ulimit -n %d`, %d idle sockets held for "
            "%.0f s | server CPU %.2f s in %.1f s; a connection opened "
            "before: %s; a new one: %s; served again %s s after the idle "
            "sockets closed |" % (
                f["variant"], f["ulimit_n"], f["idle_sockets"], f["wall_s"],
                f["cpu_s"], f["wall_s"], f["open_connection_get"],
                f["new_connection"], f["served_again_after_s"]))
    fz = r.get("fuzz")
    if fz is None:
        out.append("| fuzzers | — | not run (--fuzz-seconds 0) |")
    elif "skipped" in fz:
        out.append("| fuzzers | — | not run: %s |" % fz["skipped"])
    else:
        targets = ", ".join(
            "`%s` %s in %s s (corpus %s, %s)" % (
                t.get("target", t.get("name", "?")), n(t["execs"]),
                t.get("seconds", "?"), n(t.get("corpus", 0)),
                "no finding" if not t.get("crashes") else "**a finding**")
            for t in fz["targets"])
        built = fz.get("build_seconds")
        out.append("| fuzzers | `scripts/fuzz --no-build --seconds %d`: every "
                   "target over its committed seeds and working corpus, then "
                   "fuzzed%s | executions: %s; %s executions in all; exit "
                   "%d |" % (fz["seconds_per_target"],
                             " (targets built beforehand in %.0f s, debug "
                             "preset, not counted)" % built
                             if built is not None else "",
                             targets or "none reported",
                             n(sum(t["execs"] for t in fz["targets"])),
                             fz["exit"]))
    out.append("")
    acked = found = 0
    if final:
        acked, found = final["acked"], final["found"]
    for d in r.get("disk", []):
        acked += d.get("acked", 0)
        found += d.get("acked", 0) - d.get("missing", 0)
    out.append("In all: %s writes acknowledged, %s found afterwards where "
               "they were acknowledged." % (n(acked), n(found)))
    out.append("")
    problems = r.get("problems", [])
    if problems:
        out.append("**Problems found (%d):**" % len(problems))
        out.append("")
        out.extend("- " + p for p in problems)
    else:
        out.append("No check failed.")
    return out


def summary(r):
    return "\n".join(lines(r))


def rewrite_docs(r):
    rewrite_section("RELIABILITY.md", BEGIN, END, [""] + lines(r) + [""])


def main():
    import json
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    r = json.load(open(sys.argv[1]))
    print(summary(r))
    if "--docs" in sys.argv[2:]:
        rewrite_docs(r)
        print("rewrote the Torture figures in docs/RELIABILITY.md",
              file=sys.stderr)


if __name__ == "__main__":
    main()
