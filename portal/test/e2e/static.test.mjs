// The static publication end to end (docs/DEPLOY.md): `piaojue publish`
// writes the demo ledger as plain files, Debian's nginx serves them on a
// loopback port, and then
//   - piaojue-verify checks the log from nginx's checkpoint and tiles alone;
//   - headless Chromium renders the portal from the files (home, the
//     proposals funnel, supervision) and verifies a record in the browser;
//   - the ledger grows, a second publish writes only what is new or changed
//     (never a full tile again, checkpoint last), piaojue-verify --state
//     proves the new checkpoint consistent with the first, and the browser,
//     which kept the first checkpoint, proves the log only grew.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, rmSync, chmodSync } from 'node:fs';
import { join, relative } from 'node:path';
import { skipReason, CHROMIUM, NGINX, PIAOJUE, repo, buildLedger, startNginx, piaojue, artifact, cstDate, writeMetrics } from './harness.mjs';

const VERIFY = process.env.PIAOJUE_VERIFY_BIN || join(repo, 'build/release/bin/piaojue-verify');
const skip = skipReason() ||
  (!existsSync(NGINX) && `nginx is not installed at ${NGINX} (./scripts/setup installs it): static publication tests skipped`) ||
  (!existsSync(VERIFY) && `no piaojue-verify binary at ${VERIFY} (build it first)`);
if (skip) console.log('# SKIP static publication e2e: ' + skip);

// Every file under `dir`: relative path -> bytes.
function snapshot(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p); else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

// How many of `paths` are of each kind (the first two path elements).
function kinds(paths) {
  const out = {};
  for (const p of paths) { const k = p.split('/').slice(0, 2).join('/'); out[k] = (out[k] || 0) + 1; }
  return out;
}

// `piaojue publish --list`: the files it wrote, and its summary line.
function publish(data, www) {
  const lines = piaojue(['publish', '--data', data, '--out', www, '--list']).trim().split('\n');
  const summary = lines.pop();
  return { written: lines, summary };
}

// The live-log verifier, pinned to the log's key (else its verdict is
// "VALID (UNPINNED)", exit 3).
function verify(url, state, vkey) {
  try {
    return { code: 0, out: execFileSync(VERIFY, [url, '--quiet', '--state', state, '--vkey', vkey], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    return { code: e.status, out: (e.stdout || '') + (e.stderr || '') };
  }
}

describe('static publication served by nginx', { skip }, () => {
  let puppeteer, browser, ledger, www, nginx, refs, first, stateFile, vkey;

  before(async () => {
    puppeteer = (await import('puppeteer-core')).default;
    ledger = buildLedger();
    www = join(ledger.root, 'www');
    // nginx started as root reads as its worker user (nobody): the
    // published tree must be world-readable, as on a real web server.
    chmodSync(ledger.root, 0o755);
    first = publish(ledger.clean, www);
    nginx = await startNginx(www);
    // The verifier's state lives with the ledger, removed with it after.
    stateFile = join(ledger.root, 'verify.state');
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'] });
    const j = async (p) => (await fetch(nginx.url + p)).json();
    // The key the deployment would publish on paper; here read from the
    // data directory's genesis through the CLI, not from the static site.
    vkey = JSON.parse(piaojue(['entry', '--data', ledger.clean, '0'])).event.genesis.checkpointKey;
    const cycles = (await j('/v1/cycles.json')).cycles;
    const county = cycles.find((c) => c.jurisdiction.level === 'county' && c.selectionVote);
    const funnel = await j(`/v1/cycles/${county.ref}/funnel.json`);
    refs = { cycle: county.ref, vote: county.selectionVote, elected: funnel.proposals.find((p) => p.fate.status === 'elected') };
  });

  after(async () => {
    if (browser) await browser.close();
    if (nginx) { await nginx.stop(); rmSync(nginx.prefix, { recursive: true, force: true }); }
    if (ledger) rmSync(ledger.root, { recursive: true, force: true });
  });

  // A page of the static site; `requests` lists every URL it asked for.
  async function open(path) {
    const page = await browser.newPage();
    const errors = [];
    page.requests = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('request', (r) => page.requests.push(r.url()));
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(nginx.url + path, { waitUntil: 'networkidle0' });
    await page.waitForFunction(() => !document.querySelector('main .loading'), { timeout: 15000 });
    page.errors = errors;
    return page;
  }
  const text = (page) => page.evaluate(() => document.querySelector('main').innerText);
  const verdict = async (page) => {
    await page.waitForFunction(() => document.getElementById('verify-result')?.dataset.result, { timeout: 60000 });
    return page.$eval('#verify-result', (e) => ({ r: e.dataset.result, t: e.innerText }));
  };
  // Every read a static page makes is a file: no query string, no stream.
  const onlyFiles = (page) => {
    const api = page.requests.map((u) => new URL(u)).filter((u) => u.pathname.startsWith('/v1/') || u.pathname.startsWith('/tlog/'));
    assert.deepEqual(api.filter((u) => u.search || !/\.json$|^\/tlog\//.test(u.pathname)).map(String), []);
  };

  test('piaojue publish writes the tlog, views and portal; nginx serves them with the cache headers and gzip', async () => {
    assert.match(first.summary, /published the checkpoint of (\d+) entries/);
    assert.ok(first.written.includes('tlog/checkpoint'));
    // The checkpoint is written last, after every tile it implies.
    assert.equal(first.written.at(-1), 'tlog/checkpoint');
    assert.ok(first.written.includes('tlog/tile/0/000'));
    assert.ok(first.written.includes('tlog/tile/entries/000.gz'));
    assert.ok(first.written.includes('v1/cycles.json'));
    assert.ok(first.written.includes('index.html'));
    const cp = await fetch(nginx.url + '/tlog/checkpoint');
    assert.equal(cp.headers.get('cache-control'), 'no-cache');
    const full = await fetch(nginx.url + '/tlog/tile/entries/000', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(full.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(full.headers.get('content-encoding'), 'gzip');  // gzip_static: the .gz sibling
    const view = await fetch(nginx.url + '/v1/cycles', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(view.headers.get('content-type'), 'application/json');
    assert.equal(view.headers.get('content-encoding'), 'gzip');
    assert.ok((await view.json()).cycles.length >= 3);
    // The portal knows it is static.
    const config = await (await fetch(nginx.url + '/portal-config.json')).json();
    assert.equal(config.static, true);
  });

  test('scripts/publish-rclone copies every file but the .gz siblings, the checkpoint last', { skip: !existsSync('/usr/bin/rclone') && 'rclone is not installed (./scripts/setup installs it)' }, () => {
    // rclone's local backend stands in for the bucket (it keeps no headers;
    // the filters and the order are what is checked here).
    const bucket = join(ledger.root, 'bucket');
    const r = spawnSync(join(repo, 'scripts/publish-rclone'), [www, bucket, '-v', '--config', '/dev/null'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const want = [...snapshot(www).keys()].filter((p) => !p.endsWith('.gz')).sort();
    assert.deepEqual([...snapshot(bucket).keys()].sort(), want);
    const copied = r.stderr.split('\n').filter((l) => /: Copied \(/.test(l));
    assert.equal(copied.length, want.length, r.stderr.slice(-2000));
    assert.match(copied.at(-1), /INFO\s+: checkpoint: Copied/);
  });

  test('piaojue-verify checks the log from nginx\'s checkpoint and tiles: VALID', () => {
    const r = verify(`${nginx.url}/tlog`, stateFile, vkey);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^VALID: /);
  });

  test('首页, 征集与初定 and 监督 render from the files alone', async () => {
    let page = await open('/');
    let t = await text(page);
    assert.match(t, /清河县/);
    assert.ok(await page.$$eval('.cycle', (x) => x.length) >= 3);
    assert.equal(await page.$$eval('.cycle .timeline li', (x) => x.length) % 6, 0);
    // No time travel, search, form or what-changed without a live server.
    assert.equal(await page.$('#asof'), null);
    assert.equal(await page.$('a[href="/propose"]'), null);
    await page.screenshot({ path: artifact('static-01-home.png'), fullPage: true });
    onlyFiles(page);
    assert.deepEqual(page.errors, []);
    await page.close();

    page = await open(`/cycles/${refs.cycle}/proposals`);
    await page.waitForSelector('#chart-funnel svg');
    t = await text(page);
    assert.match(t, /筛选漏斗/);
    assert.ok(await page.$(`#p-${refs.elected.ref}`), 'the elected proposal is listed');
    onlyFiles(page);
    assert.deepEqual(page.errors, []);
    await page.close();

    page = await open(`/cycles/${refs.cycle}/supervision`);
    t = await text(page);
    assert.match(t, /实施计划|责任单位/);
    onlyFiles(page);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('验证 proves a record in the browser from the published proof bundle', async () => {
    const page = await open(`/verify/${refs.elected.ref}`);
    const v = await verdict(page);
    assert.equal(v.r, 'ok', v.t);
    assert.match(v.t, /树大小为 \d+ 的签名检查点/);
    assert.match(v.t, /已记住这个检查点/);
    assert.match(await page.$eval('#proof-link', (a) => a.getAttribute('href')), /^\/v1\/proof\/bundle\/\d+\.json$/);
    onlyFiles(page);
    await page.screenshot({ path: artifact('static-02-verified.png'), fullPage: true });
    await page.close();
  });

  test('after the log grows, a second publish writes only what is new or changed, and both verifiers prove the log only grew', async () => {
    const before = snapshot(www);
    const oldSize = Number(readFileSync(join(www, 'tlog/checkpoint'), 'utf8').split('\n')[1]);
    // A new entry: a cycle opened for a later year.
    const year = cstDate().year + 2;
    const key = join(`${ledger.clean}-keys`, 'governmentOffice@612725.key');
    piaojue(['submit', '--data', ledger.clean, '--key', key, '-'], JSON.stringify({ jurisdiction: '612725', event: { cycleOpened: {
      year, level: 'county', title: `清河县${year}年民生实事项目`, budgetFen: 10000000000, projectCount: 10,
      collectionStart: cstDate(40), collectionEnd: cstDate(70), scope: '全县范围' } } }));
    const second = publish(ledger.clean, www);
    const after = snapshot(www);
    const newSize = Number(readFileSync(join(www, 'tlog/checkpoint'), 'utf8').split('\n')[1]);
    assert.equal(newSize, oldSize + 1, second.summary);
    assert.match(second.summary, new RegExp(`previously ${oldSize}`));
    assert.equal(second.written.at(-1), 'tlog/checkpoint');

    // Exactly the files that are new or whose bytes changed were written.
    const changed = [...after.keys()].filter((p) => !before.has(p) || !before.get(p).equals(after.get(p))).sort();
    assert.deepEqual([...second.written].sort(), changed);
    // Never a full tile or bundle, nor an entry already published.
    for (const p of second.written) {
      assert.ok(!/^tlog\/tile\/(\d+|entries)\/(x\d{3}\/)*\d{3}(\.gz)?$/.test(p), `full tile rewritten: ${p}`);
      const e = /^v1\/entries\/(\d+)\.json/.exec(p);
      if (e) assert.ok(Number(e[1]) >= oldSize, `entry ${e[1]} rewritten`);
    }
    assert.ok(second.written.includes(`v1/entries/${oldSize}.json`));
    assert.ok(second.written.includes('v1/cycles.json'));
    assert.ok(second.written.includes(`v1/proof/consistency/${oldSize}.json`));
    // The portal's files did not change; of the tlog only the partial
    // tiles at the new size (and the checkpoint) are new. Of the proof
    // bundles only the new record's: the others' trails did not change, so
    // they stay as they were, against the first checkpoint (the portal
    // completes their proofs from the tiles, below).
    assert.deepEqual(second.written.filter((p) => p.startsWith('v1/proof/bundle/')).sort(),
      [`v1/proof/bundle/${oldSize}.json`, `v1/proof/bundle/${oldSize}.json.gz`]);
    assert.deepEqual(second.written.filter((p) => p.startsWith('assets/')), []);
    assert.deepEqual(second.written.filter((p) => p.startsWith('tlog/')).sort(),
      [...after.keys()].filter((p) => p.startsWith('tlog/') && (p.includes(`.p/${newSize % 256}`) || p === 'tlog/checkpoint')).sort());
    writeMetrics({ publish: { first: first.written.length, second: second.written.length, secondByKind: kinds(second.written) } });

    // piaojue-verify remembered the first checkpoint in its state file.
    const r = verify(`${nginx.url}/tlog`, stateFile, vkey);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^VALID: /);
    assert.ok(r.out.includes(`live size ${newSize}`), r.out);

    // The browser kept the first checkpoint: the published consistency
    // proof shows the new one extends it.
    const page = await open(`/verify/${refs.elected.ref}`);
    const v = await verdict(page);
    assert.equal(v.r, 'ok', v.t);
    assert.equal(await page.$eval('#verify-consistency', (e) => e.dataset.from), String(oldSize));
    assert.match(v.t, new RegExp(`树大小 ${oldSize} 的检查点基础上只增不改`));
    onlyFiles(page);
    await page.close();

    // A third publish with nothing new writes nothing.
    const third = publish(ledger.clean, www);
    assert.deepEqual(third.written, [], third.summary);
  });
});
