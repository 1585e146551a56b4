// C2SP tlog-cosignature v1 (Ed25519): the witnesses' cosignatures on a
// checkpoint and the quorum a visitor or the deployment requires of them
// (docs/FORMAT.md, "Cosigned checkpoints"; docs/PORTAL.md, "Witnesses").
// Written from the spec text; tests/vectors/cosignature-*.{txt,json} check
// it against ledger/cosignature.cc and an independent implementation.
//
// A cosignature is one more signature line on the checkpoint note:
//   — <witness name> base64(key id[4] || be64(timestamp) || signature[64])
// key id    = SHA-256(name || 0x0A || 0x04 || public key)[:4]
// signature = Ed25519(witness key, "cosignature/v1\ntime <timestamp>\n" ||
//                     the checkpoint body, extension lines included)
import { concat, fromBase64, utf8, hex, equal } from './bytes.js';
import { sha256 } from './merkle.js';
import { verifyEd25519 } from './ed25519.js';
import { splitKey, NoteError } from './note.js';

const MAX_TIMESTAMP = (1n << 63n) - 1n;

// "<name>+<key id hex>+<base64(0x04 || key)>" -> {vkey, name, keyId,
// keyIdHex, publicKey}; throws NoteError saying why not. A log's own 0x01
// key is refused: its owner signs checkpoints, not cosignatures.
export async function parseWitnessKey(vkey) {
  const { name, idHex, raw } = splitKey(vkey);
  if (raw.length !== 33 || raw[0] !== 0x04) throw new NoteError(`witness key ${name} is not an Ed25519 cosignature/v1 key (type 0x04)`);
  const publicKey = raw.subarray(1);
  const keyId = (await sha256(concat(utf8(name), Uint8Array.of(0x0a, 0x04), publicKey))).subarray(0, 4);
  if (hex(keyId) !== idHex) throw new NoteError(`witness key ${name}: the key id does not match the key`);
  return { vkey, name, keyId, keyIdHex: idHex, publicKey };
}

// The exact bytes a cosignature/v1 signs. `timestamp` is a BigInt or a
// safe integer; written in decimal without leading zeros.
export function signedMessage(body, timestamp) {
  return utf8(`cosignature/v1\ntime ${BigInt(timestamp).toString(10)}\n${body}`);
}

// The note's text (the checkpoint body) and its signature lines, split as
// signed-note says: the text ends at the last blank line.
function splitNote(noteText) {
  const split = noteText.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('not a signed note (no blank line before the signatures)');
  const lines = noteText.slice(split + 2).split('\n');
  if (lines.pop() !== '') throw new NoteError('the note does not end in a newline');
  return { body: noteText.slice(0, split + 1), lines };
}

// Checks the cosignatures on a signed checkpoint note against the witness
// keys `witnesses` (parsed with parseWitnessKey, each may carry a `label`)
// and the quorum `quorum` (how many of them must have cosigned).
//
// For each witness: "cosigned" when one of its lines (its name and its
// cosignature key id) verifies over this body, with the time it says it
// cosigned; "forged" when it has lines and none verifies (a bad length, a
// timestamp above 2^63 - 1, or a signature that fails: copied from another
// checkpoint, made with another key, over another time); else "missing".
// Any line of a witness that does not verify sets its `why` and counts in
// `forged`, even when another of its lines verifies.
// Lines of keys not given are ignored (signed-note), but counted.
// Returns {quorum, of, met, ok, cosigners, forged, missing, witnesses,
// ignored}: ok only when the quorum is met and no line is forged.
export async function checkCosignatures(noteText, witnesses, quorum) {
  const { body, lines } = splitNote(noteText);
  const rows = witnesses.map((w) => ({ name: w.name, keyId: w.keyIdHex, label: w.label || '', vkey: w.vkey, status: 'missing', timestamp: null, why: null }));
  let ignored = 0;
  for (const line of lines) {
    const m = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new NoteError('malformed signature line');
    let blob;
    try { blob = fromBase64(m[2]); } catch { throw new NoteError('malformed signature line'); }
    const k = witnesses.findIndex((w) => w.name === m[1] && blob.length >= 4 && equal(blob.subarray(0, 4), w.keyId));
    if (k < 0) { ignored++; continue; }
    const row = rows[k];
    let why = null;
    if (blob.length !== 4 + 8 + 64) {
      why = 'not a cosignature/v1 (not 76 bytes: key id, timestamp, signature)';
    } else {
      let ts = 0n;
      for (let i = 4; i < 12; i++) ts = (ts << 8n) | BigInt(blob[i]);
      if (ts > MAX_TIMESTAMP) {
        why = 'its timestamp exceeds 2^63 - 1';
      } else if (!(await verifyEd25519(witnesses[k].publicKey, signedMessage(body, ts), blob.subarray(12)))) {
        why = 'its signature does not verify over this checkpoint and the time it states';
      } else if (row.status !== 'cosigned') {
        row.status = 'cosigned';
        row.timestamp = Number(ts);
      }
    }
    // A line in a witness's name that does not verify is never dropped
    // silently, even beside a valid one: an honest log attaches only lines
    // it verified.
    if (why && !row.why) row.why = why;
  }
  for (const row of rows) if (row.status === 'missing' && row.why) row.status = 'forged';
  const cosigners = rows.filter((r) => r.status === 'cosigned');
  const forged = rows.filter((r) => r.why);
  const missing = rows.filter((r) => r.status === 'missing');
  const met = cosigners.length >= quorum;
  return { quorum, of: rows.length, met, ok: met && forged.length === 0, cosigners, forged, missing, witnesses: rows, ignored };
}

// The message a failed check gives (the first words are matched by the
// panel's plain-language table: keep them).
export function cosignatureProblem(w) {
  const name = (r) => r.name;
  const parts = [];
  if (w.forged.length) parts.push(`witnesses: a cosignature line of ${w.forged.map((r) => `${r.name} (${r.why})`).join(', ')} does not verify: forged or damaged`);
  if (!w.met) parts.push(`witnesses: quorum not met: ${w.cosigners.length} of the ${w.of} witnesses cosigned this checkpoint, ${w.quorum} required (cosigned: ${w.cosigners.map(name).join(', ') || 'none'}; not: ${[...w.forged, ...w.missing].map(name).join(', ') || 'none'})`);
  return parts.join('; ');
}

// The witness list a verification uses: parses every key (a malformed one,
// or one given twice, is an error, not skipped) and checks the quorum
// (default: all of them; 1 ≤ quorum ≤ their number).
export async function witnessPolicy(keys, quorum, source) {
  const witnesses = [];
  for (const k of keys) {
    const vkey = typeof k === 'string' ? k : k?.vkey;
    if (typeof vkey !== 'string') throw new NoteError('a witness is given by its verifier key');
    const w = await parseWitnessKey(vkey.trim());
    if (witnesses.some((x) => x.name === w.name && equal(x.keyId, w.keyId))) throw new NoteError(`witness key ${w.name} is given twice`);
    if (typeof k === 'object' && typeof k.label === 'string') w.label = k.label;
    witnesses.push(w);
  }
  const q = quorum === undefined || quorum === null || quorum === '' ? witnesses.length : Number(quorum);
  if (witnesses.length && (!Number.isInteger(q) || q < 1 || q > witnesses.length)) {
    throw new NoteError(`the witness quorum must be a whole number from 1 to ${witnesses.length}`);
  }
  return { witnesses, quorum: q, source };
}
