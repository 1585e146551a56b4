#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/).

The seeds are committed; this script says where each came from and remakes
them: valid examples from the test vectors (tests/vectors/) and from the demo
ledger built by the `piaojue` binary given, plus a few malformed variants of
each. Usage: tests/fuzz/make_corpus.py PIAOJUE_BIN (from the checkout root).
"""
import base64
import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fuzz/corpus"


def vectors(name):
    out = {}
    for line in (ROOT / "tests/vectors" / name).read_text().splitlines():
        if line.startswith("#") or ": " not in line:
            continue
        key, value = line.split(": ", 1)
        out[key] = value
    return out


def unescape(text):
    return text.replace("\\n", "\n")


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def flip(data, at):
    b = bytearray(data)
    b[at % len(b)] ^= 0x01
    return bytes(b)


def bundle(checkpoint, entries, count=None):
    out = b"piaojue-bundle/1\n" + struct.pack(">I", len(checkpoint)) + checkpoint
    out += struct.pack(">Q", len(entries) if count is None else count)
    for e in entries:
        out += struct.pack(">H", len(e)) + e
    return out


def main():
    piaojue = os.path.abspath(sys.argv[1])
    # Every seed is remade; the inputs that once found a bug (crash-*) are
    # kept as they are, so the corpus replay keeps them fixed.
    if CORPUS.exists():
        for path in CORPUS.glob("*/*"):
            if not path.name.startswith("crash-"):
                path.unlink()
    v = vectors("ledger-v2.txt")
    entries = [bytes.fromhex(v[f"entry{i}_bytes"]) for i in range(4)]
    authored = [bytes.fromhex(v[f"entry{i}_authored"]) for i in range(4)]
    checkpoint = unescape(v["checkpoint_note"]).encode()

    # Entries and authored events: the four vector entries, then a truncated,
    # a flipped and an empty one.
    for i, e in enumerate(entries):
        write("entry", f"vector-{i}", e)
    write("entry", "truncated", entries[1][: len(entries[1]) // 2])
    write("entry", "flipped-pointer", flip(entries[2], 9))
    write("entry", "empty", b"")
    for i, a in enumerate(authored):
        write("authored_event", f"vector-{i}", a)
    write("authored_event", "truncated", authored[3][:-9])
    write("authored_event", "flipped-pointer", flip(authored[0], 12))
    write("authored_event", "entry-not-authored", entries[0])

    # Export bundles: the vectors' four entries and checkpoint; then one
    # truncated, one declaring more entries than it holds, one without a
    # checkpoint, one with a flipped entry byte.
    good = bundle(checkpoint, entries)
    write("export_bundle", "vectors", good)
    write("export_bundle", "truncated", good[: len(good) - 40])
    write("export_bundle", "count-too-large", bundle(checkpoint, entries, 1 << 40))
    write("export_bundle", "no-checkpoint", bundle(b"", entries))
    write("export_bundle", "flipped-entry", bundle(checkpoint, [entries[0], flip(entries[1], 77)] + entries[2:]))

    # The text rule: texts as events hold them, and one of each kind of
    # refusal.
    for name, text in [
        ("cjk", "城东社区60岁以上老人约1200人，独居老人较多，就餐困难。".encode()),
        ("multi-line", "第一行\n第二行\n".encode()),
        ("punctuation", "“民生实事”——第1批（2025年）…".encode()),
        ("emoji", "👍 ok".encode()),
        ("bidi-override", "某县\u202eabc".encode()),
        ("c1-control", "ok\u0085".encode()),
        ("carriage-return", b"a\r\nb"),
        ("surrogate", b"\xed\xa0\x80"),
        ("overlong", b"\xc0\xaf"),
        ("truncated", "标题".encode()[:-1]),
    ]:
        write("text_value", name, text)

    # Notes, checkpoints, cosignatures, keys.
    c = vectors("cosignature-v1.txt")
    write("note", "checkpoint", checkpoint)
    write("note", "checkpoint-body", checkpoint.split(b"\n\n")[0] + b"\n")
    write("note", "verifier-key", v["verifier_key"])
    for case in ("spec", "extension"):
        body = unescape(c[f"{case}_body"])
        line = unescape(c[f"{case}_line"])
        write("note", f"cosigned-{case}", body + "\n" + line)
        write("note", f"cosignature-line-{case}", line)
        write("note", f"witness-vkey-{case}", c[f"{case}_vkey"])
    write("note", "leading-zero-size", checkpoint.replace(b"\n4\n", b"\n04\n", 1))
    write("note", "no-blank-line", checkpoint.replace(b"\n\n", b"\n", 1))
    write("note", "short-root", checkpoint.replace(b"=\n", b"\n", 1))

    with tempfile.TemporaryDirectory() as tmp:
        run = lambda *args: subprocess.run([piaojue, *args], check=True,
                                           capture_output=True, text=True,
                                           cwd=tmp).stdout
        data = os.path.join(tmp, "data")
        run("demo", "--data", data, "--until", "collection")
        keys = data + "-keys"

        # Projection snapshots (docs/FORMAT.md, "Snapshot bytes"): the one
        # the demo saved, the empty state written from the spec, and damaged
        # variants.
        snap = pathlib.Path(data, "state.snapshot").read_bytes()
        write("snapshot", "demo-collection", snap)
        write("snapshot", "truncated", snap[: len(snap) // 2])
        write("snapshot", "flipped-length", flip(snap, 32))
        write("snapshot", "flipped-body", flip(snap, len(snap) // 3))
        magic = b"piaojue-projections-snapshot/3\n"
        record = lambda tag, body: bytes([tag]) + struct.pack("<I", len(body)) + body
        write("snapshot", "empty-state",
              magic + record(0x01, b"\x00\x00\x00\x00\x00") + record(0xFF, b"\x01"))
        write("snapshot", "end-count-wrong",
              magic + record(0x01, b"\x00\x00\x00\x00\x00") + record(0xFF, b"\x05"))
        write("snapshot", "json-v2",
              '{"format":"piaojue-projections-snapshot/2","size":0}')

        # JSON commands: every template, an envelope `piaojue sign` writes,
        # the docs' proposal example, and a few malformed ones.
        for kind in ("cycleOpened", "proposalSubmitted", "proposalsMerged",
                     "ballotsRecorded", "tallyCertified", "progressReported",
                     "entryCorrected", "keyRegistered"):
            try:
                write("json_command", f"template-{kind}", run("template", kind))
            except subprocess.CalledProcessError:
                pass
        first_proposal = None
        for index in range(0, 200):
            entry = json.loads(run("entry", "--data", data, str(index)))
            if entry["kind"] == "proposalSubmitted":
                first_proposal = index
                details = entry["event"]["proposalSubmitted"]["details"]
                form = {"cycle": int(entry["event"]["proposalSubmitted"]["cycle"]),
                        "details": {k: details[k] for k in
                                    ("title", "description", "category", "location")
                                    if k in details},
                        "proposerName": "张三"}
                command = {"jurisdiction": entry["jurisdiction"],
                           "event": entry["event"]}
                write("json_command", "demo-proposal", json.dumps(command, ensure_ascii=False))
                cmd_file = os.path.join(tmp, "command.json")
                pathlib.Path(cmd_file).write_text(json.dumps(command, ensure_ascii=False))
                key = sorted(pathlib.Path(keys).glob("governmentOffice@*.key"))[0]
                env_file = os.path.join(tmp, "envelope.json")
                run("sign", "--key", str(key), "--origin",
                    "ledger.qinghe.gov.cn/piaojue", "--out", env_file, cmd_file)
                envelope = pathlib.Path(env_file).read_text()
                write("json_command", "envelope", envelope)
                write("json_command", "envelope-edited", envelope.replace('"proposalSubmitted"', '"proposalWithdrawn"', 1))
                break
        write("json_command", "bad-json", '{"jurisdiction": "610102", "event": {"cycleOpened": {')
        write("json_command", "yuan-and-date",
              '{"jurisdiction":"610102","event":{"cycleOpened":{"year":"2025","level":"county",'
              '"title":"t","budgetFen":"12.5万元","projectCount":3,'
              '"collectionStart":"2025年1月6日","collectionEnd":"2025-02-14","scope":"s"}}}')

        # Proof bundle of the first proposal, and malformed variants.
        proof = os.path.join(tmp, "proof.json")
        run("prove", "--data", data, str(first_proposal), "--out", proof)
        text = pathlib.Path(proof).read_text()
        write("proof_bundle", "demo-proposal", text)
        write("proof_bundle", "truncated", text[:4000])
        doc = json.loads(text)
        doc["entries"] = doc["entries"][:1]
        write("proof_bundle", "missing-entries", json.dumps(doc))
        doc["last"]["proof"] = doc["last"]["proof"][::-1]
        write("proof_bundle", "reordered-proof", json.dumps(doc))

    # HTTP requests, as docs/API.md describes them.
    requests = {
        "checkpoint": "GET /tlog/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n",
        "tile": "GET /tlog/tile/0/000 HTTP/1.1\r\nHost: x\r\n\r\n",
        "tile-partial": "GET /tlog/tile/entries/001.p/7 HTTP/1.1\r\nHost: x\r\n\r\n",
        "entry": "GET /v1/entries/3 HTTP/1.1\r\nHost: x\r\n\r\n",
        "entries-page": "GET /v1/entries?offset=5&limit=3 HTTP/1.1\r\nHost: x\r\n\r\n",
        "log": "GET /v1/log HTTP/1.1\r\nHost: x\r\n\r\n",
        "inclusion": "GET /v1/proof/inclusion?index=3&size=20 HTTP/1.1\r\nHost: x\r\n\r\n",
        "consistency": "GET /v1/proof/consistency?old=3&new=20 HTTP/1.1\r\nHost: x\r\n\r\n",
        "cycles-as-of": "GET /v1/cycles?as_of=2025-01-01 HTTP/1.1\r\nHost: x\r\n\r\n",
        "diff": "GET /v1/diff?view=cycles&from=10&to=20 HTTP/1.1\r\nHost: x\r\n\r\n",
        "search": "GET /v1/search?q=%E9%81%93%E8%B7%AF HTTP/1.1\r\nHost: x\r\n\r\n",
        "events-head": "HEAD /v1/events?from=2 HTTP/1.1\r\nHost: x\r\n\r\n",
        "events": "GET /v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 4\r\n\r\n",
        "proof-bundle": "GET /v1/proof/bundle/20 HTTP/1.1\r\nHost: x\r\n\r\n",
        "portal": "GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
        "options": "OPTIONS /v1/proposals HTTP/1.1\r\nHost: x\r\n\r\n",
        "bad-target": "GET /v1/%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        "chunked-post": "POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n",
    }
    proposal = json.dumps(form, ensure_ascii=False).encode()
    for name, text in requests.items():
        write("http_request", name, text)
    write("http_request", "proposal",
          b"POST /v1/proposals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + b"Content-Length: " + str(len(proposal)).encode() + b"\r\n\r\n" + proposal)
    sig = base64.b64encode(b"\0" * 64).decode()
    append = json.dumps({"authored": base64.b64encode(authored[1]).decode(), "signature": sig}).encode()
    write("http_request", "append",
          b"POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + b"Content-Length: " + str(len(append)).encode() + b"\r\n\r\n" + append)


if __name__ == "__main__":
    main()
