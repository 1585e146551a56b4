// The browser's proof-bundle check (docs/FORMAT.md, "Proof bundle",
// "Checks") on bundles built from the golden vectors: the text rule
// (FORMAT.md "Text fields": no control character, a line feed only in a
// multi-line field), the checkpoint's `last` entry, and consistency with a
// checkpoint the browser kept from an earlier visit. The vectors' keys come
// from published seeds (root 0x01, government office 0x02, log 0x03), so a
// test can sign what an attacker holding those keys could sign: a bundle
// that is perfectly signed and included, and breaks only the rule under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { layout, repo } from './layout.mjs';
import { fromHex, toBase64, concat, utf8, hex } from '../../src/verify/bytes.js';
import { decodeEntry, signingContext } from '../../src/verify/entry.js';
import { textFault } from '../../src/verify/capnp.js';
import { leafHash, nodeHash, rootOf, consistencyError, sha256 } from '../../src/verify/merkle.js';
import { parseVerifierKey } from '../../src/verify/note.js';
import { verifyProofBundle, bundlePath, newerNote, noteSize } from '../../src/verify/check.js';

const dir = join(repo, 'tests/vectors');
const file = readdirSync(dir).filter((f) => /^ledger-v\d+\.txt$/.test(f)).sort().pop();
const v = {};
for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
  const m = /^([a-z0-9_]+): (.*)$/.exec(line);
  if (m) v[m[1]] = m[2];
}
const vectorEntries = [0, 1, 2, 3].map((i) => fromHex(v[`entry${i}_bytes`]));
const OFFICE_SEED = new Uint8Array(32).fill(2);
const LOG_SEED = new Uint8Array(32).fill(3);
const VKEY = v.verifier_key;
const ORIGIN = VKEY.split('+')[0];

// RFC 6962 PATH(m, D[n]) and PROOF(m, D[n]) (docs/FORMAT.md), written here
// independently of the code under test.
async function path(m, leaves) {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...(await path(m, leaves.slice(0, k))), await rootOf(leaves.slice(k))];
  return [...(await path(m - k, leaves.slice(k))), await rootOf(leaves.slice(0, k))];
}
async function subproof(m, leaves, b) {
  const n = leaves.length;
  if (m === n) return b ? [] : [await rootOf(leaves)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  if (m <= k) return [...(await subproof(m, leaves.slice(0, k), b)), await rootOf(leaves.slice(k))];
  return [...(await subproof(m - k, leaves.slice(k), false)), await rootOf(leaves.slice(0, k))];
}
const consistencyProof = (m, leaves) => (m === 0 || m === leaves.length ? [] : subproof(m, leaves, true));

// A checkpoint note of `size` and `root`, signed by the log key.
async function signedNote(size, root, seed = LOG_SEED) {
  const key = await parseVerifierKey(VKEY);
  const text = `${ORIGIN}\n${size}\n${toBase64(root)}\n`;
  const sig = ed25519.sign(utf8(text), seed);
  return `${text}\n\u2014 ${ORIGIN} ${toBase64(concat(key.keyId, sig))}\n`;
}

// A bundle of `entries` (all of the log) for `record`, against a checkpoint
// of the whole log.
async function bundleOf(entries, record, extra = {}) {
  const leaves = await Promise.all(entries.map(leafHash));
  const root = await rootOf(leaves);
  const row = async (i) => ({ index: i, entry: toBase64(entries[i]), proof: (await path(i, leaves)).map(toBase64) });
  return {
    format: 'piaojue-proof/2', record,
    checkpoint: await signedNote(entries.length, root),
    consistency: [],
    last: await row(entries.length - 1),
    entries: await Promise.all(entries.map((_, i) => row(i))),
    ...extra,
  };
}

function replaceAll(hay, needle, by) {
  const out = hay.slice();
  let n = 0;
  for (let i = 0; i + needle.length <= out.length; i++) {
    if (needle.every((b, j) => out[i + j] === b)) { out.set(by, i); n++; }
  }
  assert.ok(n > 0, 'bytes to replace not found');
  return out;
}

// Entry 3 (the office's cycleOpened) with one byte of one text changed,
// then signed again by the office: canonical, signed, only the text differs.
function resignedEntry3(field, edit) {
  const e = decodeEntry(vectorEntries[3], layout);
  const text = utf8(e.authored.event.cycleOpened[field]);
  const changed = edit(text);
  assert.equal(changed.length, text.length);
  const authored = replaceAll(e.authoredBytes, text, changed);
  const sig = ed25519.sign(concat(utf8(signingContext(2)), authored), OFFICE_SEED);
  return replaceAll(replaceAll(vectorEntries[3], e.authoredBytes, authored), e.signature, sig);
}
const atFirstAscii = (b) => { const i = b.findIndex((x) => x >= 0x30 && x < 0x7f); assert.ok(i >= 0); return i; };
const withByte = (b, at, x) => { const c = b.slice(); c[at] = x; return c; };

test('a bundle of the vector log verifies (the baseline of the tests below)', async () => {
  const r = await verifyProofBundle(await bundleOf(vectorEntries, 3), { layout, pinnedKey: VKEY });
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.size, 4);
  assert.equal(r.checkpointRecordedAtMs, Number(decodeEntry(vectorEntries[3], layout).recordedAtMs));
  assert.equal(r.consistentWith, null);
});

test('a signed, included entry whose single-line text holds a control character is a failure at that entry', async () => {
  for (const [byte, what] of [[0x09, /control character U\+0009/], [0x0a, /line break \(U\+000A\), but this field is a single line/], [0x0d, /carriage return/], [0x7f, /control character U\+007F/], [0x00, /NUL/]]) {
    const bad = resignedEntry3('title', (t) => withByte(t, atFirstAscii(t), byte));
    const entries = [...vectorEntries.slice(0, 3), bad];
    const r = await verifyProofBundle(await bundleOf(entries, 3), { layout, pinnedKey: VKEY });
    assert.equal(r.ok, false, `byte ${byte}`);
    assert.match(r.problems[0], /^entry 3: /);
    assert.match(r.problems[0], /cycleOpened\.title/);
    assert.match(r.problems[0], what);
  }
});

test('a line feed is allowed in a multi-line field, other controls are not', () => {
  const scope = layout.structs.CycleOpened.fields.find((f) => f.name === 'scope');
  const title = layout.structs.CycleOpened.fields.find((f) => f.name === 'title');
  assert.equal(scope.multiline, true);
  assert.equal(title.multiline, undefined);
  assert.equal(textFault('第一行\n第二行', true), null);
  assert.match(textFault('第一行\n第二行', false), /line break \(U\+000A\), but this field is a single line at byte 9/);
  assert.match(textFault('a\tb', true), /control character U\+0009 at byte 1/);
  assert.match(textFault('a\r\nb', true), /carriage return/);
  assert.equal(textFault('民生实事 2025（补录）', false), null);
});

test('bidirectional controls and C1 controls are refused (two- and three-byte forms)', () => {
  // U+0085 (NEL) is C2 85; U+202E (RLO) is E2 80 AE: replace three ASCII
  // bytes of the title.
  for (const [bytes, re] of [[[0xc2, 0x85], /control character U\+0085/], [[0xe2, 0x80, 0xae], /bidirectional control U\+202E/], [[0xe2, 0x80, 0xa8], /U\+2028/]]) {
    const bad = resignedEntry3('title', (t) => {
      const at = atFirstAscii(t);
      const c = t.slice();
      c.set(bytes, at);
      return c;
    });
    assert.throws(() => decodeEntry(bad, layout), re);
  }
});

test("the schema's multi-line fields are exactly FORMAT.md's table", () => {
  const md = readFileSync(join(repo, 'docs/FORMAT.md'), 'utf8');
  const table = md.slice(md.indexOf('<!-- multiline-fields -->'), md.indexOf('<!-- /multiline-fields -->'));
  const fromDoc = [];
  for (const m of table.matchAll(/^\| `(\w+)` \| (.*) \|$/gm)) for (const f of m[2].matchAll(/`(\w+)`/g)) fromDoc.push(`${m[1]}.${f[1]}`);
  const fromSchema = [];
  for (const [name, s] of Object.entries(layout.structs)) for (const f of s.fields) if (f.multiline) fromSchema.push(`${name}.${f.name}`);
  assert.ok(fromDoc.length > 10);
  assert.deepEqual(fromSchema.sort(), fromDoc.sort());
});

test('"last" must be the checkpoint\'s last entry, proven in its tree', async () => {
  const good = await bundleOf(vectorEntries, 3);
  let r = await verifyProofBundle({ ...good, last: undefined }, { layout, pinnedKey: VKEY });
  assert.match(r.problems.join(), /no "last" entry/);
  r = await verifyProofBundle({ ...good, last: good.entries[2] }, { layout, pinnedKey: VKEY });
  assert.match(r.problems.join(), /"last" is entry 2, not the checkpoint's last entry 3/);
  r = await verifyProofBundle({ ...good, last: { ...good.last, proof: good.entries[2].proof } }, { layout, pinnedKey: VKEY });
  assert.match(r.problems.join(), /entry 3 \("last"\): inclusion/);
  r = await verifyProofBundle({ ...good, last: { ...good.last, entry: good.entries[2].entry } }, { layout, pinnedKey: VKEY });
  assert.match(r.problems.join(), /its bytes say index 2/);
});

test('consistency proofs: every pair of tree sizes up to 13, the vector 3 -> 4, and tampered proofs', async () => {
  const leaves = await Promise.all(Array.from({ length: 13 }, (_, i) => sha256(Uint8Array.of(i))));
  for (let n = 1; n <= 13; n++) {
    const newRoot = await rootOf(leaves.slice(0, n));
    for (let m = 0; m <= n; m++) {
      const oldRoot = await rootOf(leaves.slice(0, m));
      const proof = await consistencyProof(m, leaves.slice(0, n));
      assert.equal(await consistencyError(m, n, oldRoot, newRoot, proof), null, `${m} -> ${n}`);
      if (proof.length) {
        const bad = proof.map((p) => p.slice());
        bad[bad.length - 1][0] ^= 1;
        assert.notEqual(await consistencyError(m, n, oldRoot, newRoot, bad), null, `tampered ${m} -> ${n}`);
        assert.notEqual(await consistencyError(m, n, oldRoot, newRoot, proof.slice(1)), null, `short ${m} -> ${n}`);
      }
      if (m > 0 && m < n) assert.notEqual(await consistencyError(m, n, await nodeHash(oldRoot, oldRoot), newRoot, proof), null);
    }
  }
  const proof34 = v.consistency_proof_3_4.split(',').map(fromHex);
  assert.equal(await consistencyError(3, 4, fromHex(v.root_size3), fromHex(v.root_size4), proof34), null);
  assert.match(await consistencyError(3, 4, fromHex(v.root_size2), fromHex(v.root_size4), proof34), /earlier root/);
  assert.match(await consistencyError(5, 4, fromHex(v.root_size3), fromHex(v.root_size4), proof34), /above/);
});

test('a kept checkpoint: the bundle must extend it, by its consistency proof', async () => {
  const good = await bundleOf(vectorEntries, 3);
  const proof34 = v.consistency_proof_3_4.split(',').map((h) => toBase64(fromHex(h)));
  const kept3 = await signedNote(3, fromHex(v.root_size3));
  const opts = (remembered) => ({ layout, pinnedKey: VKEY, remembered });

  // Extends the kept tree of 3: proven.
  let r = await verifyProofBundle({ ...good, consistency: [{ oldSize: 3, proof: proof34 }] }, opts(kept3));
  assert.deepEqual(r.problems, []);
  assert.equal(r.consistentWith, 3);
  // The same checkpoint as kept.
  r = await verifyProofBundle(good, opts(good.checkpoint));
  assert.equal(r.ok, true);
  assert.equal(r.consistentWith, 4);
  // No proof from the kept size: not shown, a failure.
  r = await verifyProofBundle(good, opts(kept3));
  assert.equal(r.ok, false);
  assert.match(r.problems[0], /no consistency proof from tree size 3/);
  // A proof that does not hold: the log was rewritten.
  const wrong = [...proof34];
  wrong[0] = proof34[1];
  r = await verifyProofBundle({ ...good, consistency: [{ oldSize: 3, proof: wrong }] }, opts(kept3));
  assert.match(r.problems[0], /does not extend the one of tree size 3/);
  // A kept tree of 3 with another root (a fork): no proof can hold.
  const forked3 = await signedNote(3, fromHex(v.root_size2));
  r = await verifyProofBundle({ ...good, consistency: [{ oldSize: 3, proof: proof34 }] }, opts(forked3));
  assert.match(r.problems[0], /does not extend/);
  // The same size with another root: a fork.
  r = await verifyProofBundle(good, opts(await signedNote(4, fromHex(v.root_size3))));
  assert.match(r.problems[0], /forked/);
  // A kept tree larger than the bundle's: the server shows an older state.
  r = await verifyProofBundle(good, opts(await signedNote(9, fromHex(v.root_size3))));
  assert.match(r.problems[0], /already saw a signed checkpoint of tree size 9/);
  // A kept note that is not this log's signed checkpoint is not compared.
  r = await verifyProofBundle(good, opts(await signedNote(9, fromHex(v.root_size3), new Uint8Array(32).fill(9))));
  assert.equal(r.ok, true);
  assert.match(r.rememberedIgnored, /signature/);
});

test('bundle URLs ask for the proof from the kept size; the newer note is kept', async () => {
  const kept3 = await signedNote(3, fromHex(v.root_size3));
  const kept4 = await signedNote(4, fromHex(v.root_size4));
  assert.equal(noteSize(kept3), 3);
  assert.equal(bundlePath(7, null), '/v1/proof/bundle/7');
  assert.equal(bundlePath(7, kept3), '/v1/proof/bundle/7?since=3');
  assert.equal(newerNote(kept3, kept4), kept4);
  assert.equal(newerNote(kept4, kept3), kept4);
  assert.equal(newerNote(null, kept3), kept3);
  assert.equal(hex((await parseVerifierKey(VKEY)).publicKey), v.log_public_key);
});

// Witnesses (docs/PORTAL.md, "Witnesses"): the bundle's checkpoint carries
// cosignature/v1 lines made here from the spec text by the C++ vectors'
// witnesses (seeds 0x21 and 0x22: tests/vectors/cosignature-portal.json), and
// the check requires a quorum of them before it looks at any entry.
const COSIG = JSON.parse(readFileSync(join(repo, 'tests/vectors/cosignature-portal.json'), 'utf8'));
async function cosignLine(note, w, seedByte, time, body = note.slice(0, note.lastIndexOf('\n\n') + 1)) {
  const keyId = fromHex(w.vkey.split('+')[1]);
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, BigInt(time));
  const sig = ed25519.sign(utf8(`cosignature/v1\ntime ${time}\n${body}`), new Uint8Array(32).fill(seedByte));
  return `\u2014 ${w.name} ${toBase64(concat(keyId, ts, sig))}\n`;
}

test('a bundle whose checkpoint carries a quorum of cosignatures verifies and says who cosigned and when', async () => {
  const { witnessPolicy } = await import('../../src/verify/cosignature.js');
  const [a, b] = COSIG.witnesses;
  const bundle = await bundleOf(vectorEntries, 3);
  // The same line as ledger/cosignature.cc makes for that body and time.
  const cBody = COSIG.body;
  assert.equal(await cosignLine(cBody + '\n', a, 0x21, COSIG.timestamp, cBody), COSIG.cases.find((c) => c.id === 'valid').line);
  bundle.checkpoint += await cosignLine(bundle.checkpoint, a, 0x21, 1764506700) + await cosignLine(bundle.checkpoint, b, 0x22, 1764506761);
  const both = await witnessPolicy([a.vkey, b.vkey], 2, 'deployment');
  const r = await verifyProofBundle(bundle, { layout, pinnedKey: VKEY, witnesses: both });
  assert.deepEqual(r.problems, []);
  assert.equal(r.ok, true);
  assert.equal(r.witnesses.met, true);
  assert.equal(r.witnesses.source, 'deployment');
  assert.deepEqual(r.witnesses.cosigners.map((w) => [w.name, w.timestamp]), [[a.name, 1764506700], [b.name, 1764506761]]);
  // Without witnesses nothing is required and nothing is reported.
  const none = await verifyProofBundle(bundle, { layout, pinnedKey: VKEY });
  assert.equal(none.ok, true);
  assert.equal(none.witnesses, null);
});

test('a quorum not met, or a forged cosignature, fails the bundle before any entry is checked', async () => {
  const { witnessPolicy } = await import('../../src/verify/cosignature.js');
  const [a, b] = COSIG.witnesses;
  const one = await bundleOf(vectorEntries, 3);
  one.checkpoint += await cosignLine(one.checkpoint, a, 0x21, 1764506700);
  const both = await witnessPolicy([a.vkey, b.vkey], 2, 'deployment');
  const r = await verifyProofBundle(one, { layout, pinnedKey: VKEY, witnesses: both });
  assert.equal(r.ok, false);
  assert.deepEqual(r.problems, [`witnesses: quorum not met: 1 of the 2 witnesses cosigned this checkpoint, 2 required (cosigned: ${a.name}; not: ${b.name})`]);
  assert.equal(r.witnesses.met, false);
  assert.deepEqual(r.entries, []);
  // B's line signed over another checkpoint (another root): forged, even
  // though a quorum of 1 is met by A.
  const forged = await bundleOf(vectorEntries, 3);
  const otherBody = `${ORIGIN}\n4\n${toBase64(new Uint8Array(32))}\n`;
  forged.checkpoint += await cosignLine(forged.checkpoint, a, 0x21, 1764506700) + await cosignLine(forged.checkpoint, b, 0x22, 1764506761, otherBody);
  const f = await verifyProofBundle(forged, { layout, pinnedKey: VKEY, witnesses: await witnessPolicy([a.vkey, b.vkey], 1, 'visitor') });
  assert.equal(f.ok, false);
  assert.match(f.problems[0], new RegExp(`^witnesses: a cosignature line of ${b.name.replace(/\./g, '\\.')} \\(its signature does not verify`));
  assert.equal(f.witnesses.met, true);
  // A witness's line on a checkpoint whose log signature fails is never
  // looked at: the checkpoint is refused first.
  const badLog = await bundleOf(vectorEntries, 3);
  badLog.checkpoint = badLog.checkpoint.replace(/\n4\n/, '\n5\n');
  const bl = await verifyProofBundle(badLog, { layout, pinnedKey: VKEY, witnesses: both });
  assert.match(bl.problems[0], /^checkpoint: /);
  assert.equal(bl.witnesses, null);
});
