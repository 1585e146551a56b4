// The portal end to end: every page in headless Chromium against
// `piaojue serve` on the demo ledger, the verify and recount buttons (and
// their failure on a tampered entry or checkpoint), the proposal form then
// its lookup, the as-of control, the print view, accessibility (axe-core),
// the 360 px layout, bundle size and load time. Screenshots go to
// build/portal-e2e/.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, cpSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { skipReason, CHROMIUM, TAMPER, serve, startWitness, buildLedger, tamperedCopy, artifact, writeMetrics, repo, signCommand, cstDate, resign, copyLedger } from './harness.mjs';

const skip = skipReason();
if (skip) console.log('# SKIP portal e2e: ' + skip);

describe('portal end to end', { skip }, () => {
  let puppeteer, browser, ledger, server, refs;
  const servers = [];

  before(async () => {
    puppeteer = (await import('puppeteer-core')).default;
    ledger = buildLedger({ partial: true });
    server = await serve(ledger.clean);
    servers.push(server);
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'] });
    const j = async (p) => (await fetch(server.url + p)).json();
    const cycles = (await j('/v1/cycles')).cycles;
    const county = cycles.find((c) => c.jurisdiction.level === 'county' && c.selectionVote);
    const tally = await j(`/v1/tally/${county.selectionVote}`);
    const funnel = await j(`/v1/cycles/${county.ref}/funnel?limit=1000`);
    const corrections = (await j('/v1/corrections')).corrections;
    refs = {
      cycle: county.ref, vote: county.selectionVote,
      satisfaction: county.votes.find((v) => v !== county.selectionVote),
      round: tally.rounds[0], elected: funnel.proposals.find((p) => p.fate.status === 'elected'),
      rejected: funnel.proposals.find((p) => p.fate.status === 'rejected'),
      received: funnel.proposals.find((p) => p.receivedOn && p.receivedOn !== p.recordedOn),
      corrected: corrections[0],
    };
  });

  after(async () => {
    if (browser) await browser.close();
    for (const s of servers) await s.stop();
    if (ledger) rmSync(ledger.root, { recursive: true, force: true });
  });

  async function open(path, { width = 1200, base = server.url, media = null } = {}) {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    // axe-core is injected as a script: the portal's CSP rightly refuses
    // that, so the test page bypasses it.
    await page.setBypassCSP(true);
    await page.setViewport({ width, height: 900 });
    if (media) await page.emulateMediaType(media);
    // networkidle2: the vote page keeps its live event stream open.
    await page.goto(base + path, { waitUntil: 'networkidle2' });
    await page.waitForFunction(() => !document.querySelector('main .loading'), { timeout: 15000 });
    page.errors = errors;
    return page;
  }

  async function shot(page, name) {
    await page.screenshot({ path: artifact(name + '.png'), fullPage: true });
  }

  async function axe(page, name) {
    await page.addScriptTag({ path: join(repo, 'portal/node_modules/axe-core/axe.min.js') });
    const r = await page.evaluate(async () => {
      const res = await window.axe.run(document, { resultTypes: ['violations'] });
      return res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
    });
    const bad = r.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    writeMetrics({ ['axe:' + name]: r });
    assert.deepEqual(bad, [], `axe on ${name}: ${JSON.stringify(bad)}`);
  }

  const text = (page) => page.evaluate(() => document.querySelector('main').innerText);
  // A CST day as the portal writes it in Chinese.
  const cnDate = (d) => { const [y, m, day] = d.split('-').map(Number); return `${y}年${m}月${day}日`; };

  test('首页 lists every jurisdiction with its six-step timeline and numbers', async () => {
    const page = await open('/');
    const t = await text(page);
    assert.match(t, /清河县/);
    assert.match(t, /柳林镇|乡|镇/);
    assert.equal(await page.$$eval('.cycle', (x) => x.length) >= 3, true);
    assert.equal(await page.$$eval('.cycle .timeline li', (x) => x.length) % 6, 0);
    assert.match(t, /收到建议/);
    // The cycle's planned number of projects (its seats) is not yet the
    // number being carried out.
    assert.match(t, /拟票决项目/);
    assert.doesNotMatch(t, /实施项目/);
    await shot(page, '01-home');
    await axe(page, 'home');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('the home page fits a 360 px screen and switches to English', async () => {
    const page = await open('/', { width: 360 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page wider than the screen by ${overflow}px`);
    await shot(page, '02-home-360');
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await text(page), /Proposals/);
    await page.click('#lang');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    await page.close();
  });

  test('every page fits a 360 px wide phone screen', async () => {
    for (const p of [`/cycles/${refs.cycle}/proposals`, `/votes/${refs.vote}`, `/cycles/${refs.cycle}/supervision`,
      `/cycles/${refs.cycle}/evaluation`, `/records/${refs.corrected.target}`, `/proposals/${refs.elected.ref}`, '/propose', '/changes?from=2025-01-01&to=2025-02-28']) {
      const page = await open(p, { width: 360 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${p} is wider than the screen by ${overflow}px`);
      if (p.startsWith('/votes')) await shot(page, '02b-vote-360');
      await page.close();
    }
  });

  test('征集与初定 shows the funnel, channels and each fate with who and why', async () => {
    const page = await open(`/cycles/${refs.cycle}/proposals`);
    await page.waitForSelector('#chart-funnel svg');
    const t = await text(page);
    assert.match(t, /筛选漏斗/);
    assert.match(t, /按征集渠道/);
    const row = await page.$eval(`#p-${refs.rejected.ref}`, (r) => r.innerText);
    assert.match(row, /未通过/);
    assert.ok(row.includes(refs.rejected.fate.reasonText), 'the reason is shown');
    assert.ok(row.includes(refs.rejected.fate.decidedBy.holder), 'who decided is shown');
    // 收件日期 beside the day it was typed in (format 2's receivedOn).
    const received = await page.$eval(`#p-${refs.received.ref} td.dates`, (e) => e.textContent);
    assert.equal(received, `收件 ${cnDate(refs.received.receivedOn)} · 录入 ${cnDate(refs.received.recordedOn)}`);
    await shot(page, '03-proposals');
    await axe(page, 'proposals');
    await page.close();
  });

  test('票决 shows boxes, approvals with the pass line, certified and announced, and the recount agrees', async () => {
    const page = await open(`/votes/${refs.vote}`);
    await page.waitForSelector(`#chart-${refs.round.ref} svg`);
    const t = await text(page);
    assert.match(t, /票箱/);
    assert.match(t, /通过线/);
    assert.match(t, /计票结果/);
    assert.match(t, /公布结果/);
    assert.ok(t.includes(refs.round.boxes[0].label));
    // The round's own limit of approvals, and who announces the result.
    assert.ok(refs.round.maxApprovals > 0);
    assert.equal(await page.$eval(`#round-${refs.round.ref} .max-approvals`, (e) => e.textContent), `每张选票最多赞成 ${refs.round.maxApprovals} 项`);
    assert.match(t, /公布结果（大会主席团公布）/);
    await page.click(`.recount-btn[data-round="${refs.round.ref}"]`);
    await page.waitForFunction((id) => document.getElementById(id)?.dataset.result, { timeout: 30000 }, `recount-${refs.round.ref}`);
    const result = await page.$eval(`#recount-${refs.round.ref}`, (e) => ({ r: e.dataset.result, t: e.innerText }));
    assert.equal(result.r, 'ok', result.t);
    assert.match(result.t, /与公布结果一致/);
    assert.match(result.t, /树大小 \d+/);
    await shot(page, '04-vote');
    await axe(page, 'vote');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('the satisfaction vote and 评估 show stacked results and grades', async () => {
    let page = await open(`/votes/${refs.satisfaction}`);
    assert.match(await text(page), /满意度测评/);
    await page.close();
    page = await open(`/cycles/${refs.cycle}/evaluation`);
    await page.waitForSelector('#sat-chart svg');
    const t = await text(page);
    assert.match(t, /满意/);
    assert.match(t, /整改|测评等次/);
    await shot(page, '05-evaluation');
    await axe(page, 'evaluation');
    await page.close();
  });

  test('监督 shows plans, progress against milestones and acceptance', async () => {
    const page = await open(`/cycles/${refs.cycle}/supervision`);
    await page.waitForSelector('.project svg');
    const t = await text(page);
    assert.match(t, /责任单位/);
    assert.match(t, /节点/);
    assert.match(t, /验收/);
    await shot(page, '06-supervision');
    await axe(page, 'supervision');
    await page.close();
  });

  test('记录详情 shows a correction with before and after, and 验证 proves it in the browser', async () => {
    const c = refs.corrected;
    const page = await open(`/verify/${c.target}`);
    await page.waitForFunction(() => document.getElementById('verify-result')?.dataset.result, { timeout: 30000 });
    const t = await text(page);
    assert.ok(t.includes(c.reason), 'the correction reason');
    assert.match(t, /更正前/);
    const r = await page.$eval('#verify-result', (e) => ({ r: e.dataset.result, t: e.innerText }));
    assert.equal(r.r, 'ok', r.t);
    assert.match(r.t, /已证明/);
    assert.match(r.t, /树大小为 \d+ 的签名检查点/);
    // The record as decoded in the browser from the verified bytes.
    const decoded = await page.$eval('#verified-decoded pre', (e) => e.textContent);
    assert.ok(decoded.includes(c.targetKind), decoded.slice(0, 200));
    const href = await page.$eval('#proof-link', (a) => a.getAttribute('href'));
    const bundle = await (await fetch(server.url + href)).json();
    assert.equal(bundle.format, 'piaojue-proof/2');
    await shot(page, '07-record-verified');
    await axe(page, 'record');
    await page.close();
  });

  test('查询我的建议 finds a proposal by title words and tells its whole story', async () => {
    const word = refs.elected.title.slice(0, 4);
    const page = await open('/lookup?q=' + encodeURIComponent(word));
    await page.waitForSelector('.results a');
    await Promise.all([page.waitForSelector('#story-fate'), page.click(`.results a[href^="/proposals/"]`)]);
    await page.waitForFunction(() => !document.querySelector('main .loading'));
    const t = await text(page);
    assert.match(t, /建议的全过程/);
    await shot(page, '08-story');
    await axe(page, 'story');
    await page.close();
  });

  test('我要提建议 validates in Chinese, returns a receipt number, and the lookup finds it', async () => {
    const page = await open('/propose');
    await page.click('#propose-form button[type=submit]');
    assert.match(await page.$eval('#err-title', (e) => e.textContent), /请填写建议标题/);
    assert.match(await page.$eval('#err-category', (e) => e.textContent), /请填写类别/);
    await shot(page, '09-propose-errors');
    await axe(page, 'propose');
    const title = '老旧小区加装电梯' + Date.now() % 10000;
    await page.type('#f-title', title);
    await page.type('#f-description', '六层老旧小区无电梯，老人上下楼困难');
    await page.select('#f-category', 'elderlyCare');
    await page.type('#f-location', '城关镇幸福小区');
    await page.type('#f-investment', '80');
    await page.click('#propose-form button[type=submit]');
    await page.waitForSelector('#receipt', { timeout: 15000 });
    const receipt = /回执编号：(\d+)/.exec(await page.$eval('#receipt', (e) => e.textContent))[1];
    await shot(page, '10-propose-receipt');
    await page.close();
    const look = await open('/lookup?q=' + receipt);
    await look.waitForSelector('.results a');
    assert.ok((await text(look)).includes(title));
    await look.close();
    const story = await open('/proposals/' + receipt);
    assert.ok((await text(story)).includes(title));
    await story.close();
  });

  test('截至某日 shows the portal as it stood, and 有何变化 lists changes by name', async () => {
    const page = await open('/?as_of=2024-12-15');
    await page.waitForFunction(() => /共 \d+ 条/.test(document.getElementById('asof-banner')?.textContent || ''));
    const t = await text(page);
    assert.match(t, /清河县/);
    const nowCount = await page.$eval(`#cycle-${refs.cycle} .numbers dd:nth-of-type(1)`, (e) => e.textContent).catch(() => null);
    assert.ok(nowCount !== null);
    assert.equal(await page.$eval(`#cycle-${refs.cycle} .timeline li.now .lbl`, (e) => e.textContent), '初定');
    await shot(page, '11-as-of');
    // A link keeps the moment.
    const link = await page.$eval(`#cycle-${refs.cycle} .links a`, (a) => a.getAttribute('href'));
    assert.match(link, /as_of=2024-12-15/);
    await page.close();
    const ch = await open('/changes?from=2025-01-01&to=2025-02-28');
    await ch.waitForSelector('#changes-out section, #changes-out p', { timeout: 30000 });
    const ct = await text(ch);
    assert.match(ct, /清河县2025年民生实事项目/);
    assert.doesNotMatch(ct, /\/cycles\/\d+\//, 'changes are named, not array positions');
    await shot(ch, '12-changes');
    await axe(ch, 'changes');
    await ch.close();
  });

  test('公告 prints on A4 with a QR code to the verification page', async () => {
    const page = await open(`/cycles/${refs.cycle}/notice`, { media: 'print' });
    const qr = await page.$eval('.notice .qr img', (i) => ({ src: i.getAttribute('src'), alt: i.alt }));
    assert.match(qr.src, /^data:image\//);
    assert.match(qr.alt, new RegExp(`/verify/${refs.vote}\\?vkey=`));
    assert.equal(await page.$eval('header#top', (h) => getComputedStyle(h).display), 'none');
    await shot(page, '13-notice-print');
    await axe(page, 'notice');
    await page.pdf({ path: artifact('13-notice.pdf'), format: 'A4' });
    await page.close();
  });

  test('更正记录, 如何核验 render', async () => {
    for (const [p, re, name] of [['/corrections', /更正记录/, 'corrections'], ['/about', /验证公钥/, 'about']]) {
      const page = await open(p);
      assert.match(await text(page), re);
      await shot(page, '14-' + name);
      await axe(page, name);
      await page.close();
    }
  });

  test('a tampered entry makes the recount and the verification fail', async () => {
    const part = refs.round.boxes[0].parts[0];
    const dir = tamperedCopy(ledger.root, ledger.clean, 'tampered-entry', ['entry', String(part)]);
    const bad = await serve(dir);
    servers.push(bad);
    const page = await open(`/votes/${refs.vote}`, { base: bad.url });
    await page.click(`.recount-btn[data-round="${refs.round.ref}"]`);
    await page.waitForFunction((id) => document.getElementById(id)?.dataset.result, { timeout: 30000 }, `recount-${refs.round.ref}`);
    const r = await page.$eval(`#recount-${refs.round.ref}`, (e) => ({ r: e.dataset.result, t: e.innerText }));
    assert.equal(r.r, 'fail', r.t);
    assert.match(r.t, new RegExp(`entry ${part}`));
    await shot(page, '15-recount-tampered');
    await page.close();
    const rec = await open(`/verify/${refs.round.boxes[0].ref}`, { base: bad.url });
    await rec.waitForFunction(() => document.getElementById('verify-result')?.dataset.result, { timeout: 30000 });
    const v = await rec.$eval('#verify-result', (e) => ({ r: e.dataset.result, t: e.innerText }));
    assert.equal(v.r, 'fail', v.t);
    assert.match(v.t, /核验失败/);
    await rec.close();
  });

  // A response of the server replaced on its way to the page.
  async function openIntercepted(path, base, rewrite) {
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on('request', async (req) => {
      const u = new URL(req.url());
      const body = await rewrite(u).catch(() => null);
      if (body === null || body === undefined) return req.continue();
      return req.respond({ status: 200, contentType: 'application/json', body });
    });
    await page.goto(base + path, { waitUntil: 'networkidle2' });
    return page;
  }
  const verdict = async (page) => {
    await page.waitForFunction(() => document.getElementById('verify-result')?.dataset.result, { timeout: 30000 });
    return page.$eval('#verify-result', (e) => ({ r: e.dataset.result, t: e.innerText }));
  };

  test('an entry served with a control character in a text is reported as breaking the text rule', async () => {
    const record = refs.elected.ref;
    const page = await openIntercepted(`/verify/${record}`, server.url, async (u) => {
      if (!u.pathname.startsWith(`/v1/proof/bundle/${record}`)) return null;
      const bundle = await (await fetch(server.url + u.pathname + u.search)).json();
      const row = bundle.entries.find((e) => e.index === record);
      // The jurisdiction code (ASCII digits) of the record's authored event:
      // its first digit becomes a TAB.
      const bytes = Buffer.from(row.entry, 'base64');
      const at = bytes.indexOf(Buffer.from('612725'));
      assert.ok(at > 0);
      bytes[at] = 0x09;
      row.entry = bytes.toString('base64');
      return JSON.stringify(bundle);
    });
    const v = await verdict(page);
    assert.equal(v.r, 'fail', v.t);
    assert.match(v.t, /控制字符/);
    assert.match(v.t, new RegExp(`entry ${record}: .*jurisdiction: contains the control character U\\+0009`));
    await shot(page, '16b-verify-control-character');
    await page.close();
  });

  test('a checkpoint that does not extend the one this browser kept is reported; one that does is proven consistent', async () => {
    // Two copies of the log under the same key, each then given a different
    // proposal (a fork). The browser verifies on copy A and keeps A's
    // checkpoint; A grows and the browser proves it only grew; then copy B's
    // bundle is served to it in place of A's.
    const a = join(ledger.root, 'fork-a');
    const b = join(ledger.root, 'fork-b');
    copyLedger(ledger.clean, a);
    copyLedger(ledger.clean, b);
    const srvA = await serve(a);
    const srvB = await serve(b);
    servers.push(srvA, srvB);
    const propose = async (srv, title) => {
      const before = Number((await (await fetch(srv.url + '/tlog/checkpoint')).text()).split('\n')[1]);
      const r = await fetch(srv.url + '/v1/proposals', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ cycle: ledger.openCycle, details: { title, description: title, category: 'transport', location: '城关镇' } }) });
      assert.equal(r.status, 201, await r.text());
      // Wait for the server to sign the larger checkpoint.
      for (let i = 0; i < 100; i++) {
        const size = Number((await (await fetch(srv.url + '/tlog/checkpoint')).text()).split('\n')[1]);
        if (size > before) return size;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error('no new checkpoint');
    };
    await propose(srvA, '甲村道路修缮');
    await propose(srvB, '乙村路灯安装');
    const record = refs.elected.ref;
    let page = await open(`/verify/${record}`, { base: srvA.url });
    let v = await verdict(page);
    assert.equal(v.r, 'ok', v.t);
    assert.match(v.t, /已记住这个检查点/);
    const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('piaojue.checkpoint')));
    const keptSize = Number(kept.note.split('\n')[1]);
    await page.close();

    // A grows: the next bundle carries the proof from the kept size.
    const grown = await propose(srvA, '丙村饮水工程');
    page = await open(`/verify/${record}`, { base: srvA.url });
    v = await verdict(page);
    assert.equal(v.r, 'ok', v.t);
    assert.equal(await page.$eval('#verify-consistency', (e) => e.dataset.from), String(keptSize));
    assert.match(v.t, new RegExp(`树大小 ${keptSize} 的检查点基础上只增不改`));
    await page.close();

    // B's bundle (same key, same size as the kept checkpoint or larger, other
    // history) served on A's page.
    await propose(srvB, '丁村桥梁加固');
    page = await openIntercepted(`/verify/${record}`, srvA.url, async (u) => {
      if (!u.pathname.startsWith(`/v1/proof/bundle/${record}`)) return null;
      return (await fetch(srvB.url + u.pathname + u.search)).text();
    });
    v = await verdict(page);
    assert.equal(v.r, 'fail', v.t);
    assert.match(v.t, /日志被改写或分叉|早于本浏览器/);
    assert.match(v.t, new RegExp(`consistency: .*tree size ${grown}`));
    await shot(page, '16c-verify-fork');
    await page.close();
  });

  test('a wrong checkpoint makes the verification fail', async () => {
    const dir = tamperedCopy(ledger.root, ledger.clean, 'tampered-checkpoint', ['checkpoint']);
    const bad = await serve(dir);
    servers.push(bad);
    const page = await open(`/verify/${refs.vote}`, { base: bad.url });
    await page.waitForFunction(() => document.getElementById('verify-result')?.dataset.result, { timeout: 30000 });
    const v = await page.$eval('#verify-result', (e) => ({ r: e.dataset.result, t: e.innerText }));
    assert.equal(v.r, 'fail', v.t);
    assert.match(v.t, /signature does not verify/);
    await shot(page, '16-verify-wrong-checkpoint');
    await page.close();
  });

  // A copy of the demo whose stored checkpoint carries cosignatures made
  // with ledger/cosignature.cc (portal_tamper cosign: witnesses with fixed
  // seeds), and a portal.json naming the witnesses the browser requires.
  // The clean copy's stored checkpoint is of its head (the clean server
  // signed it at start), so the copy's server serves it as stored, lines
  // and all: asserted below. Returns {url, vkeys, dir}.
  async function witnessedServer(name, cosigns, config) {
    const dir = join(ledger.root, name);
    copyLedger(ledger.clean, dir);
    const vkeys = {};
    for (const [who, seed, time, forged] of cosigns) {
      vkeys[who] = execFileSync(TAMPER, [dir, 'cosign', who, seed, String(time), ...(forged ? ['forged'] : [])], { encoding: 'utf8' }).trim();
    }
    writeFileSync(join(dir, 'portal.json'), JSON.stringify(config(vkeys)));
    const s = await serve(dir);
    servers.push(s);
    const note = await (await fetch(s.url + '/tlog/checkpoint')).text();
    for (const [who] of cosigns) assert.match(note, new RegExp(`\n\u2014 ${who.replace(/\./g, '\\.')} `), `the served checkpoint carries ${who}'s line`);
    return { url: s.url, vkeys, dir };
  }
  const witnessKey = (who, seed) => execFileSync(TAMPER, ['-', 'witness-key', who, seed], { encoding: 'utf8' }).trim();
  const witnessRows = (page, id = 'verify-witnesses') => page.$$eval(`#${id} tr[data-witness]`, (rows) => rows.map((r) => [r.dataset.witness, r.dataset.status, r.innerText.replace(/\s+/g, ' ').trim()]));

  test('witnesses: the checkpoint is cosigned by two witnesses; 验证 and the recount show who cosigned and when, quorum met', async () => {
    const w = await witnessedServer('witnessed', [['witness.audit.example', '0x31', 1764506700], ['witness.npc.example', '0x32', 1764506761]],
      (k) => ({ witnesses: [{ vkey: k['witness.audit.example'], label: '某县审计局' }, { vkey: k['witness.npc.example'], label: '某市人大常委会' }], witnessQuorum: 2 }));
    const page = await open(`/verify/${refs.vote}`, { base: w.url });
    const v = await verdict(page);
    assert.equal(v.r, 'ok', v.t);
    assert.match(v.t, /见证方联署：2 个见证方中有 2 个联署了该检查点（要求至少 2 个：已满足）。见证方名单：本平台部署配置的见证方。/);
    assert.equal(await page.$eval('#verify-witnesses', (e) => e.dataset.met), 'true');
    const idA = w.vkeys['witness.audit.example'].split('+')[1];
    const idB = w.vkeys['witness.npc.example'].split('+')[1];
    assert.deepEqual(await witnessRows(page), [
      ['witness.audit.example', 'cosigned', `某县审计局 witness.audit.example ${idA} 2025-11-30 20:45:00 北京时间 ✓ 已联署`],
      ['witness.npc.example', 'cosigned', `某市人大常委会 witness.npc.example ${idB} 2025-11-30 20:46:01 北京时间 ✓ 已联署`],
    ]);
    await shot(page, '17-verify-witnessed');
    await axe(page, 'verify-witnessed');
    await page.close();
    // The recount checks the same cosignatures on each bundle it uses.
    const vote = await open(`/votes/${refs.vote}`, { base: w.url });
    await vote.click(`.recount-btn[data-round="${refs.round.ref}"]`);
    await vote.waitForFunction((id) => document.getElementById(id)?.dataset.result, { timeout: 60000 }, `recount-${refs.round.ref}`);
    const r = await vote.$eval(`#recount-${refs.round.ref}`, (e) => ({ r: e.dataset.result, t: e.innerText }));
    assert.equal(r.r, 'ok', r.t);
    assert.match(r.t, /2 个见证方中有 2 个联署了该检查点（要求至少 2 个：已满足）/);
    assert.equal((await witnessRows(vote, `recount-witnesses-${refs.round.ref}`)).length, 2);
    await vote.close();
    // 如何核验 lists the deployment's witnesses; a visitor's own list (a
    // witness that never cosigned this log) replaces it in this browser.
    const about = await open('/about', { base: w.url });
    const list = await about.$eval('#witnesses', (e) => e.innerText);
    assert.match(list, /部署配置了 2 个见证方，要求检查点至少有其中 2 个的联署/);
    assert.ok(list.includes(w.vkeys['witness.audit.example']) && list.includes('某市人大常委会'), list);
    await axe(about, 'about-witnesses');
    await about.type('#own-witnesses', 'not a key');
    await about.click('#own-witnesses-save');
    await about.waitForFunction(() => /未保存/.test(document.getElementById('own-witnesses-status').textContent));
    const other = witnessKey('witness.university.example', '0x33');
    await about.$eval('#own-witnesses', (e) => { e.value = ''; });
    await about.type('#own-witnesses', other);
    await about.type('#own-quorum', '1');
    await about.click('#own-witnesses-save');
    await about.waitForFunction(() => /已保存：1 个见证方，至少需要 1 个联署/.test(document.getElementById('own-witnesses-status').textContent));
    await about.close();
    const mine = await open(`/verify/${refs.vote}`, { base: w.url });
    const m = await verdict(mine);
    assert.equal(m.r, 'fail', m.t);
    assert.match(m.t, /见证方联署不足/);
    assert.match(m.t, /1 个见证方中有 0 个联署了该检查点（要求至少 1 个：未满足）。见证方名单：您在本浏览器中自己设置的见证方。/);
    assert.deepEqual((await witnessRows(mine)).map((x) => x.slice(0, 2)), [['witness.university.example', 'missing']]);
    await shot(mine, '17b-verify-own-witnesses');
    await mine.close();
    const back = await open('/about', { base: w.url });
    await back.click('#own-witnesses-clear');
    await back.close();
    const again = await open(`/verify/${refs.vote}`, { base: w.url });
    assert.equal((await verdict(again)).r, 'ok');
    await again.close();
  });

  test('witnesses: a quorum not met, and a forged cosignature, fail the verification and say who', async () => {
    const one = await witnessedServer('witnessed-one', [['witness.audit.example', '0x31', 1764506700]],
      () => ({ witnesses: [witnessKey('witness.audit.example', '0x31'), witnessKey('witness.npc.example', '0x32')], witnessQuorum: 2 }));
    const page = await open(`/verify/${refs.vote}`, { base: one.url });
    const v = await verdict(page);
    assert.equal(v.r, 'fail', v.t);
    assert.match(v.t, /见证方联署不足/);
    assert.match(v.t, /quorum not met: 1 of the 2 witnesses cosigned this checkpoint, 2 required \(cosigned: witness\.audit\.example; not: witness\.npc\.example\)/);
    assert.match(v.t, /2 个见证方中有 1 个联署了该检查点（要求至少 2 个：未满足）/);
    assert.deepEqual((await witnessRows(page)).map((x) => x.slice(0, 2)), [['witness.audit.example', 'cosigned'], ['witness.npc.example', 'missing']]);
    await shot(page, '17c-verify-quorum-not-met');
    await page.close();
    // The operator attaches a line in the second witness's name that it
    // never signed for this checkpoint: a quorum of 1 is met, yet the
    // forged line fails the check instead of being dropped.
    const forged = await witnessedServer('witnessed-forged', [['witness.audit.example', '0x31', 1764506700], ['witness.npc.example', '0x32', 1764506761, true]],
      (k) => ({ witnesses: [k['witness.audit.example'], k['witness.npc.example']], witnessQuorum: 1 }));
    const f = await open(`/verify/${refs.vote}`, { base: forged.url });
    const fv = await verdict(f);
    assert.equal(fv.r, 'fail', fv.t);
    assert.match(fv.t, /见证方联署签名验证不通过/);
    assert.match(fv.t, /a cosignature line of witness\.npc\.example \(its signature does not verify/);
    assert.deepEqual((await witnessRows(f)).map((x) => x.slice(0, 2)), [['witness.audit.example', 'cosigned'], ['witness.npc.example', 'forged']]);
    await shot(f, '17d-verify-forged-cosignature');
    await f.close();
  });

  test('witnesses: a live log cosigned by two running witnesses (piaojue witness serve), their keys from serve --witness (not pinned); one stops, the next checkpoint misses the quorum', async () => {
    const dir = join(ledger.root, 'live-witnessed');
    copyLedger(ledger.clean, dir);
    const logVkey = (await (await fetch(server.url + '/v1/log')).json()).verifierKey;
    const audit = await startWitness(join(ledger.root, 'w-audit'), 'witness.audit.example', logVkey);
    servers.push(audit);
    const npc = await startWitness(join(ledger.root, 'w-npc'), 'witness.npc.example', logVkey);
    servers.push(npc);
    const live = await serve(dir, ['--witness', `${audit.url}=${audit.vkey}`, '--witness', `${npc.url}=${npc.vkey}`]);
    servers.push(live);
    // The log sends its checkpoint to both; they cosign within moments.
    const cosignedBy = async (names, minSize = 0) => {
      for (let i = 0; i < 100; i++) {
        const note = await (await fetch(live.url + '/tlog/checkpoint')).text();
        const size = Number(note.split('\n')[1]);
        if (size >= minSize && names.every((n) => note.includes(`\u2014 ${n} `))) return note;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the checkpoint was not cosigned by ${names.join(', ')}`);
    };
    const first = await cosignedBy(['witness.audit.example', 'witness.npc.example']);
    const cfg = await (await fetch(live.url + '/portal-config.json')).json();
    assert.deepEqual(cfg.serverWitnesses, [audit.vkey, npc.vkey]);
    const page = await open(`/verify/${refs.vote}`, { base: live.url });
    const v = await verdict(page);
    assert.equal(v.r, 'ok', v.t);
    assert.match(v.t, /2 个见证方中有 2 个联署了该检查点（要求至少 2 个：已满足）。见证方名单：运行日志的服务器自己声明的见证方（未固定：请向见证方本身核对其公钥）。/);
    const rows = await witnessRows(page);
    assert.deepEqual(rows.map((x) => x.slice(0, 2)), [['witness.audit.example', 'cosigned'], ['witness.npc.example', 'cosigned']]);
    for (const [, , t] of rows) assert.match(t, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 北京时间 ✓ 已联署$/);
    await shot(page, '17e-verify-live-witnesses');
    await page.close();
    // One witness stops; a resident's proposal makes a new checkpoint that
    // only the other cosigns: the quorum (all of the server's) is not met.
    await npc.stop();
    const r = await fetch(live.url + '/v1/proposals', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({
      cycle: ledger.openCycle, details: { title: '村口路灯维修', description: '村口路灯损坏多年，夜间出行不便', category: 'other', location: '城关镇' } }) });
    const posted = await r.json();
    assert.equal(r.status, 201, JSON.stringify(posted));
    const receipt = posted.index;
    await cosignedBy(['witness.audit.example'], Number(first.split('\n')[1]) + 1);
    const after = await open(`/verify/${receipt}`, { base: live.url });
    const a = await verdict(after);
    assert.equal(a.r, 'fail', a.t);
    assert.match(a.t, /见证方联署不足/);
    assert.match(a.t, /2 个见证方中有 1 个联署了该检查点（要求至少 2 个：未满足）/);
    assert.deepEqual((await witnessRows(after)).map((x) => x.slice(0, 2)), [['witness.audit.example', 'cosigned'], ['witness.npc.example', 'missing']]);
    await shot(after, '17f-verify-witness-down');
    await after.close();
  });

  test("Live: the vote page updates by itself as a box's ballots are recorded", async () => {
    // The demo stopped before the vote, served; the vote's events are
    // appended to it, signed afresh, through POST /v1/entries while the
    // page is open.
    const live = await serve(ledger.partial);
    servers.push(live);
    const replay = (i) => resign(server.url, live.url, ledger.partial, i);
    const box = refs.round.boxes[0];
    const first = box.parts[0];
    for (let i = refs.vote; i < first; i++) await replay(i);
    const page = await open(`/votes/${refs.vote}`, { base: live.url });
    await page.waitForFunction(() => /已连接/.test(document.getElementById('live')?.textContent || ''), { timeout: 10000 });
    const cell = () => page.evaluate(() => document.querySelector('table.boxes tbody tr td:nth-of-type(3)')?.textContent);
    assert.notEqual(await cell(), String(box.valid));
    for (const p of box.parts) await replay(p);
    await page.waitForFunction((v) => document.querySelector('table.boxes tbody tr td:nth-of-type(3)')?.textContent === String(v), { timeout: 10000 }, box.valid);
    await shot(page, '17-live-vote');
    await page.close();
  });

  test('a void round, a tie at the cut-off and the further round are shown as such, and the recount agrees', async () => {
    // The demo stopped before the vote; its rules, round 1 and boxes are
    // re-signed and appended, then box 1 is opened with more ballots collected than
    // issued and round 1 is declared void, round 2 gets ballots that tie two candidates
    // at the last seat, and round 3 opens on the tied two.
    const dir = ledger.partial2;
    const srv = await serve(dir);
    servers.push(srv);
    const origin = (await (await fetch(`${srv.url}/v1/log`)).json()).origin;
    const post = async (body) => {
      const r = await fetch(`${srv.url}/v1/entries`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const out = await r.json();
      assert.equal(r.status, 201, JSON.stringify(out));
      return out.index;
    };
    const replay = (i) => resign(server.url, srv.url, dir, i);
    const j = '612725';
    const act = (role, event) => post(signCommand(dir, role, origin, { jurisdiction: j, event }));
    const r1 = refs.round;
    for (let i = refs.vote; i <= r1.boxes.at(-1).ref; i++) await replay(i);
    const monitors = ['监票人 张卫东'];
    await act('monitor', { ballotBoxOpened: { box: r1.boxes[0].ref, issued: 10, collected: 11, monitors } });
    // Until it is declared void, the round is flagged: it must be voided.
    let page = await open(`/votes/${refs.vote}`, { base: srv.url });
    const must = await page.$eval(`#must-void-${r1.ref}`, (e) => e.innerText);
    assert.match(must, /本轮须宣布无效/);
    // The reason is told from the box's numbers in Chinese, not in the
    // server's English voidReason.
    assert.match(must, /第1票箱：发出 10 张，收回 11 张/);
    assert.doesNotMatch(must, /[A-Za-z]{3,}/);
    await shot(page, '18a-vote-must-be-voided');
    await page.close();
    // The opening alone does not void the round (docs/RULES.md): the
    // standing committee declares it void, with its reason.
    await act('standingCommittee', { roundVoided: { round: r1.ref, reason: '第1票箱收回选票多于发出选票，本轮表决无效', voidedOn: cstDate(0) } });
    const items = r1.items;
    const r2 = await act('secretariat', { roundOpened: { vote: refs.vote, round: 2, items, seats: 10, presentDeputies: 298, maxApprovals: 10 } });
    const box = await act('monitor', { ballotBoxSealed: { round: r2, label: '第1票箱', monitors } });
    await act('monitor', { ballotBoxOpened: { box, issued: 280, collected: 280, monitors } });
    // 100 ballots approve items 1-10, 100 approve 1-9 and 11, 80 approve
    // 10-12: items 1-9 get 200, items 10 and 11 get 180 each (tied at the
    // 10th seat), item 12 gets 80.
    const A = [...Array(9).fill(1), 1, 2, 2];
    const B = [...Array(9).fill(1), 2, 1, 2];
    const C = [...Array(9).fill(2), 1, 1, 1];
    const rows = [...Array(100).fill(A), ...Array(100).fill(B), ...Array(80).fill(C)];
    const hexMarks = rows.map((r) => r.map((m) => '0' + m).join('')).join('');
    await act('teller', { ballotsRecorded: { box, part: 1, partCount: 1, itemCount: 12, marks: hexMarks, unreadable: 0 } });
    const count = (k) => rows.filter((r) => r[k] === 1).length;
    await act('monitor', { tallyCertified: { round: r2, issued: 280, collected: 280, valid: 280, invalid: 0,
      items: items.map((item, k) => ({ item, approve: count(k), oppose: 280 - count(k), abstain: 0 })), certifiedBy: monitors } });
    await act('presidium', { resultAnnounced: { round: r2, elected: items.slice(0, 9), tiedAtCutoff: [items[9], items[10]], vacantSeats: 0, announcedOn: cstDate(0) } });
    await act('secretariat', { roundOpened: { vote: refs.vote, round: 3, items: [items[9], items[10]], seats: 1, presentDeputies: 298, maxApprovals: 1 } });

    page = await open(`/votes/${refs.vote}`, { base: srv.url });
    const t = await text(page);
    // The void round: who declared it, when and why.
    const voided = (await (await fetch(`${srv.url}/v1/tally/${refs.vote}`)).json()).rounds.find((r) => r.ref === r1.ref).voided;
    const v = await page.$eval(`#void-${r1.ref}`, (e) => e.innerText);
    assert.match(v, /本轮已宣布无效/);
    assert.ok(voided.by.holder && v.includes(`${voided.by.holder}于 ${cnDate(voided.voidedOn)}宣布本轮无效`), v);
    assert.ok(v.includes('理由：第1票箱收回选票多于发出选票，本轮表决无效'), v);
    assert.ok(v.includes(`#${voided.entry}`), v);
    assert.equal(await page.$$eval(`#must-void-${r1.ref}`, (x) => x.length), 0);
    assert.match(t, /第 2 轮/);
    assert.match(t, /第 3 轮/);
    assert.match(t, /并列（需另行投票）/);
    await page.click(`.recount-btn[data-round="${r2}"]`);
    await page.waitForFunction((id) => document.getElementById(id)?.dataset.result, { timeout: 30000 }, `recount-${r2}`);
    const res = await page.$eval(`#recount-${r2}`, (e) => ({ r: e.dataset.result, t: e.innerText }));
    assert.equal(res.r, 'ok', res.t);
    await shot(page, '18-vote-void-tie-further');
    await page.close();
  });

  test('format 2 on the pages: a backfilled cycle marked everywhere, a letter\'s 收件日期, a satisfaction re-vote and its reason', async () => {
    const dir = join(ledger.root, 'format2');
    copyLedger(ledger.clean, dir);
    const srv = await serve(dir);
    servers.push(srv);
    const origin = (await (await fetch(`${srv.url}/v1/log`)).json()).origin;
    const post = async (role, event) => {
      const r = await fetch(`${srv.url}/v1/entries`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: signCommand(dir, role, origin, { jurisdiction: '612725', event }) });
      const out = await r.json();
      assert.equal(r.status, 201, JSON.stringify(out));
      return out.index;
    };
    const reason = '本平台建立前已完成的2024年度票决，依据纸质档案补录';
    const bf = await post('governmentOffice', { cycleOpened: { year: 2024, level: 'county', title: '清河县2024年民生实事项目（补录）',
      budgetFen: 8000000000, projectCount: 8, collectionStart: { year: 2023, month: 9, day: 1 }, collectionEnd: { year: 2023, month: 11, day: 30 },
      scope: '全县范围内群众急难愁盼的民生实事', backfill: true, backfillReason: reason } });
    const letter = await post('governmentOffice', { proposalSubmitted: { cycle: bf, channel: 'mail', receiptRef: 'XF2023-0042',
      receivedOn: { year: 2023, month: 10, day: 8 }, proposerType: 'resident', proposerName: '',
      details: { title: '河滨路人行道破损修复', description: '河滨路人行道多处破损，雨天积水，建议修复。', category: 'transport', location: '城关镇河滨路', estimatedInvestmentFen: 30000000 } } });
    // A documented re-vote of one project already rated by the demo's
    // satisfaction vote (RULES.md vote.satisfaction_twice).
    const rules = (await (await fetch(`${srv.url}/v1/entries/${refs.satisfaction}`)).json()).decoded.event.votingRulesAdopted;
    const today = cstDate(0);
    const revoteReason = '整改完成后重新测评';
    const revote = await post('standingCommittee', { votingRulesAdopted: { ...rules, items: [rules.items[0]], adoptedOn: today, revoteReason } });

    // 首页: the backfilled cycle's card says so, with the reason.
    let page = await open('/', { base: srv.url });
    assert.equal(await page.$eval(`#cycle-${bf} h3 .badge.backfill`, (e) => e.textContent), '补录');
    assert.ok((await page.$eval(`#cycle-${bf} .backfill-note`, (e) => e.textContent)).includes(reason));
    assert.equal(await page.$$eval(`#cycle-${refs.cycle} .backfill-note`, (x) => x.length), 0);
    await shot(page, '19-home-backfill');
    await axe(page, 'home-backfill');
    await page.close();
    // 征集与初定: the note, and the letter's day received beside the day typed in.
    page = await open(`/cycles/${bf}/proposals`, { base: srv.url });
    assert.ok((await page.$eval('main .backfill-note', (e) => e.textContent)).includes(reason));
    const recorded = (await (await fetch(`${srv.url}/v1/cycles/${bf}/funnel`)).json()).proposals.find((p) => p.ref === letter).recordedOn;
    assert.equal(await page.$eval(`#p-${letter} td.dates`, (e) => e.textContent), `收件 2023年10月8日 · 录入 ${cnDate(recorded)}`);
    await shot(page, '19b-proposals-backfill');
    await page.close();
    // The story, the lookup, the record, supervision and evaluation pages.
    page = await open(`/proposals/${letter}`, { base: srv.url });
    assert.equal(await page.$eval('#story-received', (e) => e.textContent), '2023年10月8日');
    assert.equal(await page.$eval('#story-recorded', (e) => e.textContent), cnDate(recorded));
    assert.ok((await page.$eval('main .backfill-note', (e) => e.textContent)).includes(reason));
    await page.close();
    page = await open('/lookup?q=XF2023-0042', { base: srv.url });
    await page.waitForSelector('.results a');
    assert.equal(await page.$eval('.results .badge.backfill', (e) => e.textContent), '补录');
    await page.close();
    for (const path of [`/records/${bf}`, `/cycles/${bf}/supervision`, `/cycles/${bf}/evaluation`]) {
      page = await open(path, { base: srv.url });
      assert.ok((await page.$eval('main .backfill-note', (e) => e.textContent)).includes(reason), path);
      await page.close();
    }
    // The re-vote: its reason on its vote page and on 评估.
    page = await open(`/votes/${revote}`, { base: srv.url });
    assert.equal(await page.$eval('#revote-reason', (e) => e.textContent), `重新测评理由：${revoteReason}`);
    assert.match(await page.$eval('main h1', (e) => e.textContent), /满意度测评（重新测评）/);
    await shot(page, '19c-satisfaction-revote');
    await page.close();
    page = await open(`/cycles/${refs.cycle}/evaluation`, { base: srv.url });
    assert.equal(await page.$eval('.revote-reason', (e) => e.textContent), revoteReason);
    await page.close();
  });

  test('budget: the first page in one round trip, under 350 KB gzipped; its time on slow 4G with 4x CPU slow-down measured', async () => {
    // Each run is a first visit: a fresh browser context (no cache, no open
    // connection), DevTools' slow 4G and a 4x slower CPU, a 360 px phone.
    const runs = [];
    let assets = [];
    for (let run = 0; run < Number(process.env.PORTAL_LOAD_RUNS || 5); run++) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      const requests = [];
      let usableAt = null;
      const sizes = [];
      // Requests to the server (data: URLs such as the date input's icon are
      // no round trip); the favicon does not hold up the page.
      page.on('request', (req) => {
        const u = req.url();
        if (usableAt === null && u.startsWith(server.url) && !u.endsWith('/favicon.svg')) requests.push(u.slice(server.url.length));
      });
      page.on('response', async (res) => {
        const type = res.request().resourceType();
        if (!['document', 'script', 'stylesheet'].includes(type)) return;
        const body = await res.buffer().catch(() => null);
        if (body) sizes.push({ path: new URL(res.url()).pathname, type, raw: body.length, gzip: gzipSync(body).length });
      });
      const cdp = await page.createCDPSession();
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      // Lighthouse's "slow 4G" (DevTools throttling): 562.5 ms RTT, 1.47 Mbit/s
      // down, 675 kbit/s up; and a 4x slower CPU.
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 562.5, downloadThroughput: 1474.56 * 1024 / 8, uploadThroughput: 675 * 1024 / 8 });
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
      await page.setViewport({ width: 360, height: 740 });
      // The page's own clock: from its navigation (the time origin) to the
      // moment the first cycle is inserted.
      await page.evaluateOnNewDocument(() => {
        new MutationObserver((_, obs) => {
          if (document.querySelector('.cycle')) { window.__usableMs = performance.now(); obs.disconnect(); }
        }).observe(document, { childList: true, subtree: true });
      });
      const t0 = Date.now();
      await page.goto(server.url + '/', { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('.cycle', { timeout: 20000 });
      usableAt = Date.now() - t0;
      const inPage = Math.round(await page.evaluate(() => window.__usableMs));
      runs.push({ ms: inPage, wallMs: usableAt, requests: [...requests] });
      if (run === 0) assets = sizes;
      await context.close();
    }
    const summary = (xs) => { const v = [...xs].sort((a, b) => a - b); return { runs: v.length, min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1], all: v }; };
    const stat = summary(runs.map((r) => r.ms));
    const wall = summary(runs.map((r) => r.wallMs));
    const ms = stat.all;
    const total = assets.reduce((a, s) => a + s.gzip, 0);
    writeMetrics({ firstPageAssets: assets, firstPageJsCssGzipBytes: total, slow4gUsableMs: stat, slow4gUsableWallMs: wall, slow4gRequestsBeforeUsable: runs[0].requests });
    console.log(`# first page (index.html with its inline CSS, JS and data) gzipped: ${total} bytes; usable on slow 4G with 4x CPU: min ${stat.min} / median ${stat.median} / max ${stat.max} ms over ${stat.runs} runs (page clock; test's wall clock incl. browser overhead: ${wall.min} / ${wall.median} / ${wall.max}); requests before usable: ${runs[0].requests.join(' ')}`);
    assert.ok(total <= 350 * 1024, `first page JS+CSS ${total} bytes gzipped > 350 KB`);
    // One round trip: the page itself carries the stylesheet, the script and
    // the cycles (docs/PORTAL.md, "Measured").
    for (const r of runs) assert.deepEqual(r.requests, ['/'], `requests before the first page was usable: ${r.requests.join(' ')}`);
    // The 2 s budget is a speed target: it is held by scripts/bench-portal
    // (which sets PORTAL_LOAD_BUDGET_MS), not by every test run, where the
    // times depend on what else the machine runs (docs/PORTAL.md,
    // "Measured"). Every run within the budget by the page's clock (from
    // its navigation, as DevTools and Lighthouse time a page). The test's
    // wall clock adds the browser's own work (a renderer process for each
    // fresh context, puppeteer's round trips), up to several hundred ms on
    // a busy 2-core machine: its median gets a quarter more.
    if (process.env.PORTAL_LOAD_BUDGET_MS) {
      const budget = Number(process.env.PORTAL_LOAD_BUDGET_MS);
      assert.ok(stat.max <= budget, `usable after ${stat.max} ms > ${budget} ms (${ms.join(', ')})`);
      assert.ok(wall.median <= budget * 1.25, `usable after a median ${wall.median} ms by the wall clock > ${budget * 1.25} ms (${wall.all.join(', ')})`);
    }
  });
});
