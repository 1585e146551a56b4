// RFC 6962 / RFC 9162 Merkle tree hashing and proof checks (docs/FORMAT.md,
// "Merkle tree"), with SHA-256 from Web Crypto.
import { concat, equal } from './bytes.js';

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}
export const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
export const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// MTH of a list of leaf hashes (RFC 6962 section 2.1).
export async function rootOf(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(await rootOf(leaves.slice(0, k)), await rootOf(leaves.slice(k)));
}

// RFC 9162 section 2.1.3.2. Returns null when the proof holds, else the
// reason it does not.
export async function inclusionError(index, size, leaf, proof, root) {
  if (!(index < size)) return `index ${index} is not below the tree size ${size}`;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== 32) return 'a proof hash is not 32 bytes';
    if (sn === 0) return 'the proof is too long';
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return 'the proof is too short';
  if (!equal(r, root)) return 'the proof does not lead to the checkpoint root';
  return null;
}

// RFC 9162 section 2.1.4.2 (docs/FORMAT.md, "Consistency proof"): does the
// tree of `newSize` leaves with root `newRoot` extend the tree of `oldSize`
// leaves with root `oldRoot`? Returns null when the proof shows it, else the
// reason it does not.
export async function consistencyError(oldSize, newSize, oldRoot, newRoot, proof) {
  if (!(oldSize <= newSize)) return `the old tree size ${oldSize} is above the new tree size ${newSize}`;
  if (proof.some((p) => p.length !== 32)) return 'a proof hash is not 32 bytes';
  if (oldSize === newSize) {
    if (proof.length) return 'a proof between equal tree sizes is empty';
    return equal(oldRoot, newRoot) ? null : 'two different roots for the same tree size';
  }
  if (oldSize === 0) return proof.length ? 'a proof from the empty tree is empty' : null;
  if (!proof.length) return 'the proof is empty';
  const path = (oldSize & (oldSize - 1)) === 0 ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return 'the proof is too long';
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) return 'the proof is too short';
  if (!equal(fr, oldRoot)) return 'the proof does not lead to the earlier root';
  if (!equal(sr, newRoot)) return 'the proof does not lead to the checkpoint root';
  return null;
}
