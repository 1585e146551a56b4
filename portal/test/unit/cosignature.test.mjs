// The browser's C2SP tlog-cosignature v1 check against vectors made by the
// C++ library (tests/vectors/cosignature-portal.json, written by
// `portal_tamper - cosign-vectors` with ledger/cosignature.cc, with the
// verdict of cosignature::VerifyNote on each) and by an implementation that
// is not ours (tests/vectors/cosignature-v1.txt: Node's crypto from the spec
// text, including the spec's own example checkpoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repo } from './layout.mjs';
import { parseWitnessKey, signedMessage, checkCosignatures, cosignatureProblem, witnessPolicy } from '../../src/verify/cosignature.js';
import { parseVerifierKey, openCheckpoint } from '../../src/verify/note.js';
import { useNobleOnly } from '../../src/verify/ed25519.js';

const portalVectorsPath = join(repo, 'tests/vectors/cosignature-portal.json');
const V = JSON.parse(readFileSync(portalVectorsPath, 'utf8'));
const caseOf = (id) => V.cases.find((c) => c.id === id);
const TAMPER = process.env.PORTAL_TAMPER_BIN || join(repo, 'build/release/bin/portal_tamper');

const spec = {};
for (const line of readFileSync(join(repo, 'tests/vectors/cosignature-v1.txt'), 'utf8').split('\n')) {
  const m = /^([a-z0-9_]+): (.*)$/.exec(line);
  if (m) spec[m[1]] = m[2].replace(/\\n/g, '\n');
}

async function policy() {
  return witnessPolicy(V.witnesses.map((w) => w.vkey), 1, 'test');
}

test('the committed vectors are what the C++ library makes now', { skip: !existsSync(TAMPER) && `no ${TAMPER}` }, () => {
  const fresh = JSON.parse(execFileSync(TAMPER, ['-', 'cosign-vectors'], { encoding: 'utf8' }));
  assert.deepEqual(fresh, V);
});

test('witness verifier keys: key id of type 0x04, split at the first two +', async () => {
  const a = await parseWitnessKey(V.witnesses[0].vkey);
  // This key's base64 holds a '+': splitting at every '+' would break it.
  assert.ok(V.witnesses[0].vkey.split('+').length > 3);
  assert.equal(a.name, 'witness.audit.example');
  assert.equal(a.keyIdHex, V.witnesses[0].vkey.split('+')[1]);
  assert.equal((await parseWitnessKey(spec.spec_vkey)).keyIdHex, '8122a5ab');
  assert.equal((await parseWitnessKey(spec.extension_vkey)).name, 'witness.audit.example');
  // The log's own key (type 0x01) is not a witness key, nor the reverse.
  await assert.rejects(parseWitnessKey(V.logVerifierKey), /type 0x04/);
  await assert.rejects(parseVerifierKey(V.witnesses[0].vkey), /not an Ed25519 note key/);
  // A key id that does not match its name and key.
  const [n, id, ...b64] = V.witnesses[1].vkey.split('+');
  await assert.rejects(parseWitnessKey(`${n}+${id.replace(/^./, (c) => (c === '0' ? '1' : '0'))}+${b64.join('+')}`), /key id does not match/);
  await assert.rejects(parseWitnessKey(`other.example+${id}+${b64.join('+')}`), /key id does not match/);
  await assert.rejects(parseWitnessKey('witness.example'), /name>\+<key id>/);
});

test('a log key whose base64 holds a + opens its checkpoint (split at the first two + only)', async () => {
  assert.ok(V.plusKey.vkey.split('+').length > 3, V.plusKey.vkey);
  const k = await parseVerifierKey(V.plusKey.vkey);
  assert.equal(k.name, 'example.gov.cn/piaojue');
  const cp = await openCheckpoint(V.plusKey.note, V.plusKey.vkey);
  assert.equal(cp.size, 1109);
});

test('the signed message is byte for byte the C++ one and the spec vectors', () => {
  assert.equal(new TextDecoder().decode(signedMessage(V.body, V.timestamp)), V.message);
  assert.equal(new TextDecoder().decode(signedMessage(spec.spec_body, Number(spec.spec_timestamp))), spec.spec_message);
  assert.equal(new TextDecoder().decode(signedMessage(spec.extension_body, BigInt(spec.extension_timestamp))), spec.extension_message);
});

test('every C++ vector gets the verdict cosignature::VerifyNote gave it', async () => {
  const p = await policy();
  for (const c of V.cases) {
    const r = await checkCosignatures(c.note, p.witnesses, 1);
    const got = r.cosigners.map((w) => ({ witness: p.witnesses.findIndex((k) => k.name === w.name), timestamp: w.timestamp }));
    assert.deepEqual(got, c.verifiedBy.map(({ witness, timestamp }) => ({ witness, timestamp })), c.id);
  }
});

test('valid cosignatures: who cosigned and when; the log\'s line is ignored', async () => {
  const p = await policy();
  const both = V.logNote + caseOf('valid').line + caseOf('valid_second_witness').line;
  const r = await checkCosignatures(both, p.witnesses, 2);
  assert.equal(r.ok, true);
  assert.equal(r.met, true);
  assert.deepEqual(r.cosigners.map((w) => [w.name, w.keyId, w.timestamp]), [
    ['witness.audit.example', V.witnesses[0].vkey.split('+')[1], 1764506700],
    ['witness.npc.example', V.witnesses[1].vkey.split('+')[1], 1764506701],
  ]);
  assert.equal(r.ignored, 1); // the log's own signature
  // The spec's example line and the extension-line vector verify too.
  for (const id of ['spec', 'extension']) {
    const w = await parseWitnessKey(spec[`${id}_vkey`]);
    const note = spec[`${id}_body`] + '\n' + spec[`${id}_line`];
    const s = await checkCosignatures(note, [w], 1);
    assert.equal(s.ok, true, id);
    assert.equal(s.cosigners[0].timestamp, Number(spec[`${id}_timestamp`]));
  }
});

test('wrong key, altered body, wrong timestamp encodings: reported as forged, never dropped', async () => {
  const p = await policy();
  const reasons = {
    wrong_key: /does not verify/,
    altered_body: /does not verify/,
    timestamp_little_endian: /does not verify/,
    timestamp_leading_zero: /does not verify/,
    timestamp_hex: /does not verify/,
    timestamp_too_large: /exceeds 2\^63 - 1/,
  };
  for (const [id, why] of Object.entries(reasons)) {
    // Beside a valid cosignature of the other witness: a quorum of 1 is
    // met, and still the forged line fails the check.
    const note = caseOf(id).note + caseOf('valid_second_witness').line;
    const r = await checkCosignatures(note, p.witnesses, 1);
    assert.equal(r.met, true, id);
    assert.equal(r.ok, false, id);
    assert.deepEqual(r.forged.map((w) => w.name), ['witness.audit.example'], id);
    assert.match(r.forged[0].why, why, id);
    assert.match(cosignatureProblem(r), /^witnesses: a cosignature line of witness\.audit\.example .* forged or damaged$/, id);
  }
  // A forged line beside a valid one of the same witness is still reported.
  const r = await checkCosignatures(caseOf('valid').note + caseOf('wrong_key').line, p.witnesses, 1);
  assert.equal(r.cosigners.length, 1);
  assert.equal(r.ok, false);
  // A plain note signature by a key named like the witness is not its
  // cosignature (another key id): ignored, so the witness is missing.
  const n = await checkCosignatures(caseOf('note_signature').note, p.witnesses, 1);
  assert.equal(n.forged.length, 0);
  assert.deepEqual(n.missing.map((w) => w.name), ['witness.audit.example', 'witness.npc.example']);
  assert.equal(n.ok, false);
});

test('the quorum: met, not met, and the message names who signed and who did not', async () => {
  const p = await policy();
  const one = await checkCosignatures(caseOf('valid').note, p.witnesses, 2);
  assert.equal(one.met, false);
  assert.equal(one.ok, false);
  assert.equal(cosignatureProblem(one),
    'witnesses: quorum not met: 1 of the 2 witnesses cosigned this checkpoint, 2 required (cosigned: witness.audit.example; not: witness.npc.example)');
  const none = await checkCosignatures(V.logNote, p.witnesses, 1);
  assert.match(cosignatureProblem(none), /0 of the 2 .* \(cosigned: none; not: witness\.audit\.example, witness\.npc\.example\)/);
  assert.equal((await checkCosignatures(caseOf('valid').note, p.witnesses, 1)).ok, true);
});

test('the witness policy: default quorum all, bounds, duplicates, labels', async () => {
  const keys = V.witnesses.map((w) => w.vkey);
  assert.equal((await witnessPolicy(keys, undefined, 'x')).quorum, 2);
  assert.equal((await witnessPolicy([{ vkey: keys[0], label: '某县审计局' }], null, 'x')).witnesses[0].label, '某县审计局');
  await assert.rejects(witnessPolicy(keys, 3, 'x'), /from 1 to 2/);
  await assert.rejects(witnessPolicy(keys, 0, 'x'), /from 1 to 2/);
  await assert.rejects(witnessPolicy(keys, 1.5, 'x'), /from 1 to 2/);
  await assert.rejects(witnessPolicy([keys[0], ' ' + keys[0]], 1, 'x'), /given twice/);
  await assert.rejects(witnessPolicy([V.logVerifierKey], 1, 'x'), /type 0x04/);
  assert.equal((await witnessPolicy([], undefined, 'x')).witnesses.length, 0);
});

test('cosignatures through @noble/curves agree', async () => {
  useNobleOnly();
  const p = await policy();
  for (const c of V.cases) {
    const r = await checkCosignatures(c.note, p.witnesses, 1);
    assert.equal(r.cosigners.length, c.verifiedBy.length, c.id);
  }
});
