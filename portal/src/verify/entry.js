// Log entries and authored events (docs/FORMAT.md, "Entries", "Authored
// events"): decoding from verified bytes and the author's signature check.
import { decodeCanonical, CapnpError } from './capnp.js';
import { concat, utf8 } from './bytes.js';
import { sha256, leafHash } from './merkle.js';
import { verifyEd25519 } from './ed25519.js';

export const MAX_ENTRY_BYTES = 65535;

export function signingContext(formatVersion) {
  return `piaojue/authored-event/v${formatVersion}\n`;
}

// Decodes entry bytes: {index, prevHash, recordedAtMs, authoredBytes,
// signature, authored: {authorKey, nonce, signedAtMs, jurisdiction, origin?,
// event: {$which, <member>: {...}}}}. Throws CapnpError (corrupt entry).
export function decodeEntry(bytes, layout) {
  if (bytes.length > MAX_ENTRY_BYTES) throw new CapnpError('entry larger than 65535 bytes');
  const e = decodeCanonical(bytes, 'Entry', layout);
  if (e.prevHash.length !== 32) throw new CapnpError('prevHash is not 32 bytes');
  if (e.signature.length !== 64) throw new CapnpError('signature is not 64 bytes');
  const a = decodeCanonical(e.authored, 'AuthoredEvent', layout);
  if (a.authorKey.length !== 32) throw new CapnpError('authorKey is not 32 bytes');
  if (a.nonce.length !== 16) throw new CapnpError('nonce is not 16 bytes');
  if (!a.event) throw new CapnpError('no event');
  return {
    index: e.index, prevHash: e.prevHash, recordedAtMs: e.recordedAtMs,
    authoredBytes: e.authored, signature: e.signature, authored: a,
    kind: a.event.$which,
  };
}

export async function verifyAuthorSignature(entry, formatVersion) {
  const msg = concat(utf8(signingContext(formatVersion)), entry.authoredBytes);
  return verifyEd25519(entry.authored.authorKey, msg, entry.signature);
}

export async function entryHashes(bytes) {
  return { entryHash: await sha256(bytes), leafHash: await leafHash(bytes) };
}
