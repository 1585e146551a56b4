// C2SP signed notes and tlog checkpoints (docs/FORMAT.md, "Checkpoints").
import { concat, equal, fromBase64, utf8, hex } from './bytes.js';
import { sha256 } from './merkle.js';
import { verifyEd25519 } from './ed25519.js';

export class NoteError extends Error {}

// Splits "<name>+<key id hex>+<base64>" at its first two '+' only: the
// base64 may itself contain '+' (docs/FORMAT.md, "Splitting a key").
// Returns {name, idHex, raw (the decoded base64)}; throws NoteError.
export function splitKey(vkey) {
  if (typeof vkey !== 'string') throw new NoteError('a verifier key is text');
  const p1 = vkey.indexOf('+');
  const p2 = p1 < 0 ? -1 : vkey.indexOf('+', p1 + 1);
  if (p2 < 0) throw new NoteError('a verifier key is <name>+<key id>+<base64 key>');
  const name = vkey.slice(0, p1);
  const idHex = vkey.slice(p1 + 1, p2);
  if (!name || /[\s+]/.test(name) || !/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError('bad verifier key name or id');
  let raw;
  try { raw = fromBase64(vkey.slice(p2 + 1)); } catch { throw new NoteError('the verifier key is not base64'); }
  return { name, idHex, raw };
}

// "<name>+<hex id>+<base64(0x01 || key)>" -> {name, keyId (4 bytes), publicKey}
export async function parseVerifierKey(vkey) {
  const { name, idHex, raw } = splitKey(vkey);
  if (raw.length !== 33 || raw[0] !== 0x01) throw new NoteError('not an Ed25519 note key');
  const publicKey = raw.subarray(1);
  const keyId = (await sha256(concat(utf8(name), Uint8Array.of(0x0a, 0x01), publicKey))).subarray(0, 4);
  if (hex(keyId) !== idHex) throw new NoteError('the key id does not match the key');
  return { name, keyId, keyIdHex: idHex, publicKey };
}

// Verifies a signed note under one key. Returns {text, origin, size, root}
// or throws NoteError saying why.
export async function openCheckpoint(noteText, vkey) {
  const key = typeof vkey === 'string' ? await parseVerifierKey(vkey) : vkey;
  const split = noteText.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('not a signed note (no blank line before the signatures)');
  const text = noteText.slice(0, split + 1);
  const sigLines = noteText.slice(split + 2).split('\n');
  if (sigLines[sigLines.length - 1] !== '') throw new NoteError('the note does not end in a newline');
  sigLines.pop();
  if (sigLines.length === 0 || sigLines.length > 100) throw new NoteError('bad number of signature lines');
  let verified = false;
  let sawKey = false;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m) throw new NoteError('malformed signature line');
    if (m[1] !== key.name) continue;
    const sig = fromBase64(m[2]);
    if (sig.length !== 68 || !equal(sig.subarray(0, 4), key.keyId)) continue;
    sawKey = true;
    if (await verifyEd25519(key.publicKey, utf8(text), sig.subarray(4))) verified = true;
  }
  if (!sawKey) throw new NoteError(`the checkpoint carries no signature by ${key.name}+${key.keyIdHex}`);
  if (!verified) throw new NoteError('the checkpoint signature does not verify under the published key');
  const lines = text.split('\n');
  if (lines.length < 4) throw new NoteError('a checkpoint has an origin, a size and a root');
  const [origin, sizeText, rootB64] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new NoteError('bad tree size');
  const root = fromBase64(rootB64);
  if (root.length !== 32) throw new NoteError('bad root hash');
  if (origin !== key.name) throw new NoteError('the checkpoint origin is not the key name');
  return { text, origin, size: Number(sizeText), root };
}
