// The portal's verification code against a real ledger: the demo ledger
// served by `piaojue serve`. Every entry decodes (canonically) to what the
// C++ decoder says, every signature and leaf hash checks, every round of
// every vote recounts to its published result, and proof bundles of every
// kind of record verify. Skipped when the piaojue binary is not built.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { layout } from './layout.mjs';
import { PIAOJUE, serve, buildLedger } from '../e2e/harness.mjs';
import { decodeEntry, verifyAuthorSignature } from '../../src/verify/entry.js';
import { leafHash } from '../../src/verify/merkle.js';
import { hex, toBase64 } from '../../src/verify/bytes.js';
import { verifyProofBundle, recountFromLog, bundlePath } from '../../src/verify/check.js';

const skip = existsSync(PIAOJUE) ? false : `no piaojue binary at ${PIAOJUE}`;

describe('the demo ledger', { skip }, () => {
  let ledger, server, vkey;
  const get = async (path, type) => {
    const r = await fetch(server.url + path);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return type === 'text' ? r.text() : type === 'bytes' ? new Uint8Array(await r.arrayBuffer()) : r.json();
  };

  before(async () => {
    ledger = buildLedger();
    server = await serve(ledger.clean);
    vkey = (await get('/v1/log')).verifierKey;
  });
  after(async () => {
    if (server) await server.stop();
    if (ledger) rmSync(ledger.root, { recursive: true, force: true });
  });

  test('every entry decodes as the server decodes it, with a valid signature and leaf hash', async () => {
    const size = (await get('/v1/log')).size;
    let version = 1;
    for (let tile = 0; tile * 256 < size; tile++) {
      const width = Math.min(256, size - tile * 256);
      const path = String(tile).padStart(3, '0') + (width < 256 ? `.p/${width}` : '');
      const bundle = await get('/tlog/tile/entries/' + path, 'bytes');
      const hashes = await get('/tlog/tile/0/' + path, 'bytes');
      const listed = (await get(`/v1/entries?offset=${tile * 256}&limit=${width}`)).entries;
      let at = 0;
      for (let i = 0; i < width; i++) {
        const n = (bundle[at] << 8) | bundle[at + 1];
        const bytes = bundle.subarray(at + 2, at + 2 + n);
        at += 2 + n;
        const index = tile * 256 + i;
        const e = decodeEntry(bytes, layout);
        assert.equal(e.index, index);
        assert.equal(hex(await leafHash(bytes)), hex(hashes.subarray(i * 32, i * 32 + 32)), `leaf ${index}`);
        const d = listed[i].decoded;
        assert.equal(e.kind, d.kind, `kind of ${index}`);
        assert.equal(e.authored.jurisdiction, d.jurisdiction);
        assert.equal(e.authored.signedAtMs, d.signedAtMs);
        assert.equal(hex(e.authored.authorKey), d.author);
        assert.equal(toBase64(await leafHash(bytes)), listed[i].leafHash);
        if (index === 0) version = e.authored.event.genesis.formatVersion;
        assert.equal(await verifyAuthorSignature(e, version), true, `signature of ${index}`);
      }
      assert.equal(at, bundle.length);
    }
  });

  test('every round of every vote recounts to the certified tally and the announced result', async () => {
    let rounds = 0;
    for (const c of (await get('/v1/cycles')).cycles) {
      for (const v of c.votes) {
        const tally = await get(`/v1/tally/${v}`);
        for (const r of tally.rounds) {
          if (r.void || !r.complete) continue;
          const out = await recountFromLog(v, r, { get, layout, pinnedKey: vkey });
          assert.deepEqual(out.diffs, [], `vote ${v} round ${r.ref}`);
          assert.equal(out.recount.valid, r.recount.valid);
          assert.deepEqual(out.recount.outcome.elected, r.recount.elected);
          rounds++;
        }
      }
    }
    assert.ok(rounds >= 4, `only ${rounds} rounds recounted`);
  });

  test('proof bundles of a cycle, a proposal, a vote, a box and a project verify, pinned', async () => {
    const cycles = (await get('/v1/cycles')).cycles;
    const c = cycles.find((x) => x.selectionVote);
    const tally = await get(`/v1/tally/${c.selectionVote}`);
    const projects = (await get(`/v1/cycles/${c.ref}/projects`)).projects;
    const funnel = (await get(`/v1/cycles/${c.ref}/funnel?limit=5`)).proposals;
    for (const record of [c.ref, funnel[0].ref, c.selectionVote, tally.rounds[0].boxes[0].ref, projects[0].ref]) {
      const bundle = await get(`/v1/proof/bundle/${record}`);
      const r = await verifyProofBundle(bundle, { layout, pinnedKey: vkey });
      assert.equal(r.ok, true, `record ${record}: ${r.problems.join('; ')}`);
      assert.equal(r.pinned, true);
      assert.ok(r.entries.every((e) => e.included && e.signed && e.authorized));
      // One changed byte in any entry of the bundle is caught.
      const bad = structuredClone(bundle);
      const last = bad.entries.at(-1);
      const raw = Buffer.from(last.entry, 'base64');
      raw[raw.length - 70] ^= 1;
      last.entry = raw.toString('base64');
      const r2 = await verifyProofBundle(bad, { layout, pinnedKey: vkey });
      assert.equal(r2.ok, false);
      // A key other than the published one is refused.
      const other = 'ledger.qinghe.gov.cn/piaojue+' + '0'.repeat(8) + '+' + Buffer.concat([Buffer.of(1), Buffer.alloc(32, 9)]).toString('base64');
      const r3 = await verifyProofBundle(bundle, { layout, pinnedKey: other });
      assert.equal(r3.ok, false);
    }
  });

  test("the server's consistency proof (?since=) shows the grown log extends the checkpoint kept before, for a bundle and a recount", async () => {
    const cycles = (await get('/v1/cycles')).cycles;
    const c = cycles.find((x) => x.selectionVote);
    const round = (await get(`/v1/tally/${c.selectionVote}`)).rounds[0];
    const kept = await get('/tlog/checkpoint', 'text');
    const m = Number(kept.split('\n')[1]);
    // The same checkpoint: the same root.
    let r = await verifyProofBundle(await get(bundlePath(c.ref, kept)), { layout, pinnedKey: vkey, remembered: kept });
    assert.equal(r.ok, true, r.problems.join('; '));
    assert.equal(r.consistentWith, m);
    // The log grows by one proposal (the public intake); once the server
    // has signed the larger checkpoint, its bundle carries the proof from m.
    const post = await fetch(server.url + '/v1/proposals', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ cycle: ledger.openCycle, details: { title: '村道路灯安装', description: '村道无路灯，夜间出行不便。', category: 'publicFacilities', location: '城关镇' } }) });
    assert.equal(post.status, 201, await post.text());
    let n = m;
    for (let i = 0; i < 100 && n === m; i++) {
      await new Promise((res) => setTimeout(res, 100));
      n = Number((await get('/tlog/checkpoint', 'text')).split('\n')[1]);
    }
    assert.ok(n > m);
    const bundle = await get(bundlePath(c.ref, kept));
    assert.equal(bundle.consistency[0].oldSize, m);
    r = await verifyProofBundle(bundle, { layout, pinnedKey: vkey, remembered: kept });
    assert.equal(r.ok, true, r.problems.join('; '));
    assert.equal(r.consistentWith, m);
    assert.equal(r.size, n);
    // Without the proof the kept checkpoint cannot be shown to be extended.
    r = await verifyProofBundle(await get(`/v1/proof/bundle/${c.ref}`), { layout, pinnedKey: vkey, remembered: kept });
    assert.equal(r.ok, false);
    assert.match(r.problems[0], new RegExp(`no consistency proof from tree size ${m}`));
    // A recount asks for and checks the same proofs, and returns the newest
    // checkpoint to keep.
    const asked = [];
    const out = await recountFromLog(c.selectionVote, round, { get: (p) => { asked.push(p); return get(p); }, layout, pinnedKey: vkey, remembered: kept });
    assert.deepEqual(out.diffs, []);
    assert.ok(asked.every((p) => p.endsWith(`?since=${m}`) || p.endsWith(`?since=${n}`)), asked.join(' '));
    assert.equal(Number(out.checkpointNote.split('\n')[1]), n);
  });
});
