// The portal's verification code against the golden vectors of
// docs/FORMAT.md (tests/vectors/ledger-v*.txt): the browser's second
// implementation must agree byte for byte with the C++ one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { layout, repo } from './layout.mjs';
import { fromHex, hex } from '../../src/verify/bytes.js';
import { decodeEntry, verifyAuthorSignature } from '../../src/verify/entry.js';
import { checkCanonical, decodeCanonical, CapnpError } from '../../src/verify/capnp.js';
import { leafHash, sha256, rootOf, inclusionError } from '../../src/verify/merkle.js';
import { openCheckpoint, parseVerifierKey } from '../../src/verify/note.js';
import { useNobleOnly } from '../../src/verify/ed25519.js';

const dir = join(repo, 'tests/vectors');
const file = readdirSync(dir).filter((f) => /^ledger-v\d+\.txt$/.test(f)).sort().pop();
const v = {};
for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
  const m = /^([a-z0-9_]+): (.*)$/.exec(line);
  if (m) v[m[1]] = m[2];
}
const entries = [0, 1, 2, 3].map((i) => fromHex(v[`entry${i}_bytes`]));
const note = v.checkpoint_note.replace(/\\n/g, '\n');

test(`${file}: entries decode, chain and hash as published`, async () => {
  const genesis = decodeEntry(entries[0], layout);
  assert.equal(genesis.kind, 'genesis');
  const version = genesis.authored.event.genesis.formatVersion;
  assert.ok(version >= 1);
  assert.equal(genesis.authored.event.genesis.checkpointKey, v.verifier_key);
  let prev = new Uint8Array(32);
  for (let i = 0; i < 4; i++) {
    const e = decodeEntry(entries[i], layout);
    assert.equal(e.index, i);
    assert.equal(hex(e.prevHash), hex(prev));
    assert.equal(hex(e.authoredBytes), v[`entry${i}_authored`]);
    assert.equal(hex(e.signature), v[`entry${i}_signature`]);
    assert.equal(hex(await sha256(entries[i])), v[`entry${i}_entry_hash`]);
    assert.equal(hex(await leafHash(entries[i])), v[`entry${i}_leaf_hash`]);
    assert.equal(await verifyAuthorSignature(e, version), true, `entry ${i} signature`);
    prev = await sha256(entries[i]);
  }
  const e3 = decodeEntry(entries[3], layout);
  assert.equal(e3.kind, 'cycleOpened');
  assert.equal(e3.authored.event.cycleOpened.year, 2025);
});

test(`${file}: roots, inclusion proof and signed checkpoint`, async () => {
  const leaves = await Promise.all(entries.map(leafHash));
  for (let n = 1; n <= 4; n++) assert.equal(hex(await rootOf(leaves.slice(0, n))), v[`root_size${n}`]);
  const proof = v.inclusion_proof_index1_size4.split(',').map(fromHex);
  const root = fromHex(v.root_size4);
  assert.equal(await inclusionError(1, 4, leaves[1], proof, root), null);
  assert.match(await inclusionError(2, 4, leaves[1], proof, root), /root/);
  assert.match(await inclusionError(1, 4, leaves[1], proof.slice(1), root), /short|root/);
  const cp = await openCheckpoint(note, v.verifier_key);
  assert.equal(cp.size, 4);
  assert.equal(hex(cp.root), v.root_size4);
  const key = await parseVerifierKey(v.verifier_key);
  assert.equal(hex(key.publicKey), v.log_public_key);
});

test('a checkpoint with an edited size or a foreign key is refused', async () => {
  await assert.rejects(openCheckpoint(note.replace('\n4\n', '\n5\n'), v.verifier_key), /does not verify/);
  const other = 'example.gov.cn/piaojue+00000000+' + Buffer.concat([Buffer.of(1), Buffer.alloc(32, 7)]).toString('base64');
  await assert.rejects(openCheckpoint(note, other), /key id|no signature/);
});

test('an entry with one flipped bit fails its signature or its decoding', async () => {
  const genesis = decodeEntry(entries[0], layout);
  const version = genesis.authored.event.genesis.formatVersion;
  const bad = entries[3].slice();
  bad[bad.length - 70] ^= 1; // inside the authored bytes
  let failed = false;
  try {
    failed = !(await verifyAuthorSignature(decodeEntry(bad, layout), version));
  } catch (e) {
    failed = e instanceof CapnpError;
  }
  assert.ok(failed);
});

test('non-canonical bytes are refused', () => {
  assert.throws(() => checkCanonical(new Uint8Array(0)), CapnpError);
  assert.throws(() => checkCanonical(new Uint8Array(12)), CapnpError);
  const padded = new Uint8Array(entries[1].length + 8);
  padded.set(entries[1]);
  assert.throws(() => checkCanonical(padded), /unused words/);
});

// Little-endian words as bytes.
function words(...ws) {
  const out = new Uint8Array(ws.length * 8);
  const view = new DataView(out.buffer);
  ws.forEach((w, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  return out;
}

test('only the canonical re-encoding of a message is canonical (docs/FORMAT.md)', () => {
  // A root struct of two pointers, each an empty struct at offset -1: canonical.
  const emptyStruct = 0xfffffffcn;
  const root = 2n << 48n;
  checkCanonical(words(root, emptyStruct, emptyStruct));
  // The first empty struct pointing at the next object's place instead of
  // offset -1: Cap'n Proto's canonical encoding never writes it.
  assert.throws(() => checkCanonical(words(root, 1n << 2n, emptyStruct)), CapnpError);
  // An empty byte list (root: one pointer) at the head is canonical; one
  // pointing further on, or past the end, is not.
  const oneList = 1n << 48n;
  const emptyBytes = (offset) => 1n | (BigInt(offset) << 2n) | (2n << 32n);
  checkCanonical(words(oneList, emptyBytes(0)));
  assert.throws(() => checkCanonical(words(oneList, emptyBytes(1))), CapnpError);
  assert.throws(() => checkCanonical(words(oneList, emptyBytes(26))), CapnpError);
});

test('the @noble/curves fallback agrees with Web Crypto', async () => {
  useNobleOnly();
  const cp = await openCheckpoint(note, v.verifier_key);
  assert.equal(cp.size, 4);
  await assert.rejects(openCheckpoint(note.replace('\n4\n', '\n5\n'), v.verifier_key), /does not verify/);
});

test('hostile bytes: every single-byte change of every vector entry is refused or decoded, never a crash', () => {
  let refused = 0;
  for (const entry of entries) {
    for (let at = 0; at < entry.length; at++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const bad = entry.slice();
        bad[at] ^= flip;
        try {
          decodeEntry(bad, layout);
        } catch (e) {
          assert.ok(e instanceof CapnpError, `byte ${at}: ${e.constructor.name}: ${e.message}`);
          refused++;
        }
      }
    }
  }
  assert.ok(refused > 0);
});

// tests/vectors/rejected-v*.txt: bytes, the authored ones validly signed,
// that every reader MUST refuse (docs/FORMAT.md, "Canonical Cap'n Proto"):
// NAME_rule "3" breaks rule 3 (bits or a pointer no field of the active
// union members occupies), "layout" the rules on the words that Cap'n
// Proto's own isCanonical() does not check.
const rejectedFile = readdirSync(dir).filter((f) => /^rejected-v\d+\.txt$/.test(f)).sort().pop();
test(`${rejectedFile}: every rejected input is refused, the golden ones are not`, () => {
  const r = {};
  for (const line of readFileSync(join(dir, rejectedFile), 'utf8').split('\n')) {
    const m = /^([a-z0-9_]+): (.*)$/.exec(line);
    if (m) r[m[1]] = m[2];
  }
  let checked = 0;
  for (const [key, value] of Object.entries(r)) {
    const m = /^(.*)_(authored|entry)$/.exec(key);
    if (!m) continue;
    const decode = m[2] === 'entry'
      ? () => decodeEntry(fromHex(value), layout)
      : () => decodeCanonical(fromHex(value), 'AuthoredEvent', layout);
    const rule = r[`${m[1]}_rule`];
    assert.ok(rule === '3' || rule === 'layout', `${key}: its rule is named`);
    assert.throws(decode, (e) => e instanceof CapnpError && (rule !== '3' || /rule 3/.test(e.message)), key);
    checked++;
  }
  assert.equal(checked, 6);
  for (let i = 0; i < 4; i++) {
    decodeCanonical(fromHex(v[`entry${i}_authored`]), 'AuthoredEvent', layout);
  }
  // The same place named as piaojue names it.
  assert.throws(() => decodeCanonical(fromHex(r.hidden_bits_beside_event_kind_authored), 'AuthoredEvent', layout),
    /field event: bits 16-17 of data word 0 are not zero/);
});
