"""What scripts/bench_report.py and scripts/torture_report.py share: a line
naming the machine a run was measured on, and rewriting one marked section
of a document in docs/ (between its BEGIN and END comment lines) in place.
"""
import os
import platform
import re
import subprocess
import sys

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")


def machine():
    """'2 cores (CPU model), 23 GiB RAM, Linux 6.1, scratch on ext4'."""
    parts = []
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    parts.append("%d cores (%s)" % (os.cpu_count(), model))
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                parts.append("%.0f GiB RAM" %
                             (int(line.split()[1]) / 1024 / 1024))
    except OSError:
        pass
    parts.append("Linux %s" % platform.release())
    fs = subprocess.run(["df", "-T", os.environ.get("TMPDIR", "/tmp")],
                        capture_output=True, text=True).stdout.splitlines()
    parts.append("scratch on %s" % (fs[1].split()[1] if len(fs) > 1 else "?"))
    return ", ".join(parts)


def rewrite_section(doc_name, begin, end, body_lines):
    """Replaces the text between the lines `begin` and `end` of
    docs/DOC_NAME with `body_lines`; exits with a message if the document
    has no such section (nothing is written then)."""
    path = os.path.join(DOCS, doc_name)
    section = "\n".join([begin] + body_lines + [end])
    doc = open(path).read()
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(doc):
        sys.exit("docs/%s has no %s section to rewrite" % (doc_name, begin))
    with open(path, "w") as f:
        f.write(pattern.sub(lambda m: section, doc))
