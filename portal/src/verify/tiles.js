// Inclusion proofs computed in the browser from the log's C2SP tiles
// (c2sp.org/tlog-tiles, docs/API.md "Transparency log"), for a static
// publication (docs/DEPLOY.md): `piaojue publish` keeps a record's proof
// bundle as long as the record's trail does not change, so a bundle may
// prove against an older checkpoint than the one published now. The portal
// completes it here: each entry's inclusion proof and the `last` entry are
// made again against the published checkpoint from the hash tiles and the
// entry bundle that hold them, and the bundle then names that checkpoint.
//
// Nothing read here is trusted: the completed bundle goes through the same
// checks as any other (verifyProofBundle): every proof must lead to the
// signed checkpoint's root, so a wrong tile only makes the check fail.
//
// Tile grammar: tile/<L>/<N>[.p/<W>] holds the hashes of the tree's nodes at
// level 8·L (each of 2^(8L) leaves), indexes 256·N to 256·N + W − 1;
// tile/entries/<N>[.p/<W>] holds the entries, each as a big-endian 16-bit
// length and the bytes. A tile is partial (".p/W") only at the tree's edge.
import { toBase64 } from './bytes.js';
import { nodeHash } from './merkle.js';

const WIDTH = 256;

// "x001/x234/067" for 1234067.
export function tileIndex(n) {
  let out = String(n % 1000).padStart(3, '0');
  for (n = Math.floor(n / 1000); n > 0; n = Math.floor(n / 1000)) {
    out = `x${String(n % 1000).padStart(3, '0')}/${out}`;
  }
  return out;
}

// The path of tile `n` at `level` ('entries' for an entry bundle) in a tree
// of `size` leaves: full, or partial at the tree's edge.
export function tilePath(level, n, size) {
  const count = level === 'entries' ? size : Math.floor(size / 2 ** (8 * level));
  const width = Math.min(WIDTH, count - n * WIDTH);
  if (width <= 0) throw new Error(`no tile ${level}/${n} in a tree of ${size}`);
  return `/tlog/tile/${level}/${tileIndex(n)}` + (width < WIDTH ? `.p/${width}` : '');
}

// A largest power of two strictly below n (n >= 2).
function splitPoint(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Reads the tree of `size` leaves from tiles; `fetchBytes(path)` returns a
// Uint8Array. Tiles are fetched once each.
export class TileTree {
  constructor(size, fetchBytes) {
    this.size = size;
    this.fetchBytes = fetchBytes;
    this.tiles = new Map();
  }

  tile(level, n) {
    const path = tilePath(level, n, this.size);
    if (!this.tiles.has(path)) this.tiles.set(path, this.fetchBytes(path));
    return this.tiles.get(path);
  }

  // The hash tile `n` of `level` and the nodes of the 8 tree levels above
  // it that it holds whole: rows[k][i] is the node of 2^(8·level + k)
  // leaves whose first level-8·level node is the tile's 2^k·i-th. Hashed
  // once per tile, however many proofs pass through it.
  rows(level, n) {
    const key = `${level}/${n}`;
    if (!this.hashed) this.hashed = new Map();
    if (!this.hashed.has(key)) {
      this.hashed.set(key, (async () => {
        const tile = await this.tile(level, n);
        if (tile.length % 32) throw new Error(`hash tile ${key} is not whole hashes`);
        const rows = [[]];
        for (let i = 0; i < tile.length; i += 32) rows[0].push(tile.subarray(i, i + 32));
        while (rows[rows.length - 1].length > 1) {
          const below = rows[rows.length - 1];
          const row = [];
          for (let i = 0; i + 1 < below.length; i += 2) row.push(await nodeHash(below[i], below[i + 1]));
          rows.push(row);
        }
        return rows;
      })());
    }
    return this.hashed.get(key);
  }

  // The hash of the complete subtree of 2^height leaves starting at leaf
  // index·2^height, from the tile at level ⌊height/8⌋ that holds it.
  async node(height, index) {
    const level = Math.floor(height / 8);
    const up = height % 8;
    const first = index * 2 ** up;  // its first node at tree level 8·level
    const rows = await this.rows(level, Math.floor(first / WIDTH));
    const node = rows[up]?.[(first % WIDTH) / 2 ** up];
    if (!node) throw new Error(`hash tile of level ${level} lacks node ${height}/${index}`);
    return node;
  }

  // MTH(D[begin:end]) for a range whose start is a multiple of the largest
  // power of two not above its length, as every range of an inclusion
  // proof is: its complete subtrees, largest first, hashed right to left.
  async range(begin, end) {
    const nodes = [];
    let pos = begin;
    let left = end - begin;
    for (let h = Math.floor(Math.log2(left)); left > 0; h--) {
      if (2 ** h > left) continue;
      nodes.push(await this.node(h, pos / 2 ** h));
      pos += 2 ** h;
      left -= 2 ** h;
    }
    let root = nodes.pop();
    while (nodes.length) root = await nodeHash(nodes.pop(), root);
    return root;
  }

  // RFC 6962 PATH(index, D[size]), leaf upward.
  async inclusionProof(index) {
    const path = [];
    let begin = 0;
    let end = this.size;
    while (end - begin > 1) {
      const mid = begin + splitPoint(end - begin);
      if (index < mid) {
        path.push(await this.range(mid, end));
        end = mid;
      } else {
        path.push(await this.range(begin, mid));
        begin = mid;
      }
    }
    return path.reverse();
  }

  // The bytes of entry `index`, from its entry bundle.
  async entry(index) {
    const bundle = await this.tile('entries', Math.floor(index / WIDTH));
    let at = 0;
    for (let i = 0; i < index % WIDTH; i++) {
      if (at + 2 > bundle.length) throw new Error('entry bundle too short');
      at += 2 + ((bundle[at] << 8) | bundle[at + 1]);
    }
    if (at + 2 > bundle.length) throw new Error('entry bundle too short');
    const n = (bundle[at] << 8) | bundle[at + 1];
    return bundle.subarray(at + 2, at + 2 + n);
  }
}

// The tree size a checkpoint note states (its second line), unverified.
function sizeOf(note) {
  const m = /^[^\n]+\n(0|[1-9][0-9]{0,15})\n/.exec(note || '');
  return m ? Number(m[1]) : null;
}

// The bundle made against `note` (the published checkpoint) instead of its
// own older one: the same record and entries, every proof and `last` from
// the tiles of the tree `note` states. The bundle as it was when `note` is
// not of a larger tree.
export async function completeBundle(bundle, note, fetchBytes) {
  const n = sizeOf(bundle?.checkpoint);
  const size = sizeOf(note);
  if (n === null || size === null || size <= n || !Array.isArray(bundle.entries)) return bundle;
  const tree = new TileTree(size, fetchBytes);
  const proof = async (index) => (await tree.inclusionProof(index)).map(toBase64);
  const entries = [];
  for (const e of bundle.entries) entries.push({ index: e.index, entry: e.entry, proof: await proof(e.index) });
  const last = size - 1;
  return {
    ...bundle,
    checkpoint: note,
    consistency: [],
    last: { index: last, entry: toBase64(await tree.entry(last)), proof: await proof(last) },
    entries,
  };
}
