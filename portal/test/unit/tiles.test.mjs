// Inclusion proofs made from C2SP tiles (src/verify/tiles.js), as the
// static portal completes a proof bundle kept from an older checkpoint:
// every proof must be the RFC 6962 audit path (checked here against an
// independent implementation and against the tree's root), at tree sizes
// that end inside a tile, on a tile's edge, and past a level-1 and a
// level-2 node, reading hash tiles of levels 0, 1 and 2 and entry bundles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { concat, toBase64, fromBase64, utf8 } from '../../src/verify/bytes.js';
import { inclusionError } from '../../src/verify/merkle.js';
import { TileTree, tilePath, tileIndex, completeBundle } from '../../src/verify/tiles.js';

// RFC 6962 hashing with node's own SHA-256, independent of the code under
// test (and fast enough to build a tree of 66,000 leaves).
const sha = (...parts) => new Uint8Array(createHash('sha256').update(concat(...parts)).digest());
const leafHash = (e) => sha(Uint8Array.of(0), e);
function rootOf(leaves) {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Uint8Array.of(1), rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

// RFC 6962 PATH(m, D[n]).
async function path(m, leaves) {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  if (m < k) return [...(await path(m, leaves.slice(0, k))), await rootOf(leaves.slice(k))];
  return [...(await path(m - k, leaves.slice(k))), await rootOf(leaves.slice(0, k))];
}

// A log of `size` entries and the tiles a publication of it holds.
async function makeLog(size) {
  const entries = [];
  const leaves = [];
  for (let i = 0; i < size; i++) {
    const e = utf8(`entry ${i} `.repeat(1 + (i % 7)));
    entries.push(e);
    leaves.push(leafHash(e));
  }
  // Level L hashes: the roots of complete subtrees of 256^L leaves.
  const levels = [leaves];
  for (let l = 1; 256 ** l <= size; l++) {
    const row = [];
    for (let j = 0; (j + 1) * 256 ** l <= size; j++) row.push(rootOf(leaves.slice(j * 256 ** l, (j + 1) * 256 ** l)));
    levels.push(row);
  }
  const fetched = [];
  const fetchBytes = async (p) => {
    fetched.push(p);
    const m = /^\/tlog\/tile\/(entries|\d+)\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d+))?$/.exec(p);
    assert.ok(m, `not a tile path: ${p}`);
    const n = Number(m[2].replaceAll('x', '').replaceAll('/', ''));
    const width = m[3] ? Number(m[3]) : 256;
    if (m[1] === 'entries') {
      assert.equal(width, Math.min(256, size - n * 256), p);
      const parts = [];
      for (const e of entries.slice(n * 256, n * 256 + width)) parts.push(Uint8Array.of(e.length >> 8, e.length & 255), e);
      return concat(...parts);
    }
    const row = levels[Number(m[1])];
    assert.equal(width, Math.min(256, row.length - n * 256), p);
    return concat(...row.slice(n * 256, n * 256 + width));
  };
  return { entries, leaves, root: rootOf(leaves), fetchBytes, fetched };
}

test('tile paths are tlog-tiles\' canonical form, partial at the edge only', () => {
  assert.equal(tileIndex(0), '000');
  assert.equal(tileIndex(1234067), 'x001/x234/067');
  assert.equal(tilePath(0, 0, 256), '/tlog/tile/0/000');
  assert.equal(tilePath(0, 1, 300), '/tlog/tile/0/001.p/44');
  assert.equal(tilePath(1, 0, 300), '/tlog/tile/1/000.p/1');
  assert.equal(tilePath('entries', 3, 1000), '/tlog/tile/entries/003.p/232');
  assert.throws(() => tilePath(0, 2, 512));
});

test('proofs from tiles are the RFC 6962 audit paths, and entries come from the bundles', async () => {
  for (const size of [1, 2, 3, 255, 256, 257, 511, 600]) {
    const log = await makeLog(size);
    const tree = new TileTree(size, log.fetchBytes);
    for (let i = 0; i < size; i += size > 300 ? 37 : 1) {
      assert.deepEqual(await tree.inclusionProof(i), await path(i, log.leaves), `index ${i} of ${size}`);
      assert.deepEqual(await tree.entry(i), log.entries[i]);
    }
    assert.deepEqual(await tree.entry(size - 1), log.entries[size - 1]);
  }
});

test('past level-1 and level-2 nodes, every proof leads to the root, each tile read once', async () => {
  const size = 65536 + 256 * 3 + 17;
  const log = await makeLog(size);
  const tree = new TileTree(size, log.fetchBytes);
  for (const i of [0, 1, 255, 256, 65535, 65536, 65536 + 255, 65536 + 700, size - 2, size - 1, 31337]) {
    const proof = await tree.inclusionProof(i);
    assert.equal(await inclusionError(i, size, log.leaves[i], proof, log.root), null, `index ${i}`);
  }
  assert.ok(log.fetched.some((p) => p.startsWith('/tlog/tile/2/')), log.fetched.join(' '));
  assert.equal(new Set(log.fetched).size, log.fetched.length);
});

test('a bundle of an older checkpoint is completed to the published one', async () => {
  const size = 700;
  const log = await makeLog(size);
  const note = (n, root) => `example.org/log\n${n}\n${toBase64(root)}\n\n\u2014 example.org/log c2ln\n`;
  const old = 300;
  const bundle = {
    format: 'piaojue-proof/2',
    record: 5,
    checkpoint: note(old, rootOf(log.leaves.slice(0, old))),
    consistency: [],
    last: { index: old - 1, entry: toBase64(log.entries[old - 1]), proof: [] },
    entries: [0, 5, 299].map((i) => ({ index: i, entry: toBase64(log.entries[i]), proof: [] })),
  };
  const published = note(size, log.root);
  const done = await completeBundle(bundle, published, log.fetchBytes);
  assert.equal(done.checkpoint, published);
  assert.equal(done.record, 5);
  assert.deepEqual(done.entries.map((e) => e.index), [0, 5, 299]);
  for (const e of [...done.entries, done.last]) {
    assert.deepEqual(fromBase64(e.entry), log.entries[e.index]);
    assert.equal(await inclusionError(e.index, size, log.leaves[e.index], e.proof.map(fromBase64), log.root), null);
  }
  assert.equal(done.last.index, size - 1);
  // Not of a larger tree: the bundle as it was.
  assert.equal(await completeBundle(bundle, note(old, log.root), log.fetchBytes), bundle);
});
