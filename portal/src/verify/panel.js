// The 验证 panel on record pages: checks the record's proof bundle in the
// browser and says plainly what was proven against which tree size.
import { t, lang, en, KIND } from '../i18n.js';
import { getJson, portalConfig } from '../api.js';
import { esc, instant } from '../format.js';

export async function pinnedKey() {
  const fromUrl = new URLSearchParams(location.search).get('vkey');
  if (fromUrl) return { key: fromUrl, source: lang() === 'en' ? 'the printed notice (QR code)' : '纸质公告（二维码）' };
  const cfg = await portalConfig();
  if (cfg.verifierKey) return { key: cfg.verifierKey, source: lang() === 'en' ? "the deployment's configuration" : '本平台部署配置' };
  return { key: null, source: null };
}

// The signed checkpoint this browser kept from its last verification of
// this deployment's log (localStorage, per site): the next bundle must
// extend it (docs/PORTAL.md, "Verification in the browser"). Returns the
// note, or null when none is kept or it was kept under another pinned key.
const KEPT = 'piaojue.checkpoint';
export function keptCheckpoint(pinned) {
  try {
    const k = JSON.parse(localStorage.getItem(KEPT) || 'null');
    if (!k || typeof k.note !== 'string') return null;
    if (pinned && k.vkey !== pinned) return null;
    return k.note;
  } catch {
    return null;
  }
}
// Keeps `note` (verified under `vkey`) when it is newer than the one kept.
export function keepCheckpoint(vkey, note, newerNote) {
  if (!vkey || !note) return;
  try {
    const k = JSON.parse(localStorage.getItem(KEPT) || 'null');
    const same = k && k.vkey === vkey && typeof k.note === 'string';
    localStorage.setItem(KEPT, JSON.stringify({ vkey, note: same ? newerNote(k.note, note) : note, keptAtMs: Date.now() }));
  } catch {}
}

// Plain Chinese for the failures a visitor may meet; the technical reason
// follows in parentheses.
const PLAIN = [
  [/contains (the control character|a NUL|a carriage return|a line break|the bidirectional control)/, '记录中含有格式规定不允许的控制字符（记录不符合日志格式）'],
  [/signature does not verify under the published key|carries no signature by/, '检查点的签名与公布的验证公钥不符：服务器提供的检查点不可信'],
  [/inclusion:/, '包含证明不成立：服务器提供的记录与签名检查点不符（记录可能被篡改）'],
  [/author's signature does not verify/, '签署者签名无效：记录内容与签署时不同'],
  [/not a well-formed entry|its bytes say index/, '记录字节格式错误'],
  [/authorization:/, '签署者没有相应职权'],
  [/genesis names a different checkpoint key/, '日志创世记录中的公钥与公布的公钥不同'],
  [/consistency: this browser already saw/, '服务器提供的日志状态早于本浏览器此前已核验过的状态（日志只能增加，不能回退）'],
  [/consistency: the log forked|consistency: the checkpoint of tree size \d+ does not extend/, '日志与本浏览器此前核验过的检查点不一致：日志被改写或分叉'],
  [/consistency: the bundle has no consistency proof/, '服务器未提供与本浏览器此前核验过的检查点之间的一致性证明，无法证明日志只增不改'],
];
export function plain(message) {
  if (lang() === 'en') return message;
  const hit = PLAIN.find(([re]) => re.test(message));
  return hit ? `${hit[1]}（${message}）` : message;
}

function summary(r, shown) {
  const zh = lang() !== 'en';
  if (!r.ok) {
    return `<p class="bad"><strong>${esc(t('verify_fail'))}</strong>：${esc(r.problems.map(plain).join('；'))}</p>`;
  }
  const missing = shown.filter((i) => !r.entries.some((e) => e.index === i));
  const n = r.entries.length;
  const text = zh
    ? `记录 #${r.record} 的 ${n} 条日志记录（含创世记录与密钥登记记录）都包含在树大小为 ${r.size} 的签名检查点中；检查点签名经公钥 ${r.keyId} 验证${r.pinned ? '（该公钥由部署公布并固定）' : '（未固定：公钥取自本日志的创世记录，请与纸质公告核对）'}；每条记录的签署者签名有效，且签署者在签署时具有相应职权。`
    : `the ${n} log entries of record #${r.record} (with genesis and the key registrations) are all included in the signed checkpoint of tree size ${r.size}; the checkpoint signature verifies under key ${r.keyId}${r.pinned ? ' (published and pinned by the deployment)' : ' (NOT pinned: the key comes from this log\'s own genesis entry; compare it with the printed notice)'}; every entry's author signature verifies and its author held the role for that act.`;
  const warn = missing.length ? `<p class="bad">${zh ? '以下显示的记录不在证明中：' : 'Shown but not in the proof: '}${missing.map((i) => '#' + i).join(' ')}</p>` : '';
  return `<p class="good"><strong>${esc(t('verify_ok'))}</strong>：${esc(text)}</p>${warn}${consistencyLine(r)}`;
}

// What the browser knows about the checkpoint's place in the log's history.
export function consistencyLine(r) {
  const zh = lang() !== 'en';
  const when = r.checkpointRecordedAtMs ? instant(r.checkpointRecordedAtMs) : '?';
  const text = r.consistentWith === null
    ? (zh ? `检查点的最后一条记录登记于 ${when}。本浏览器此前未核验过本日志：已记住这个检查点，以后核验时将证明日志在此基础上只增不改。`
      : `The checkpoint's last entry was recorded ${when}. This browser had not verified this log before: it keeps this checkpoint and will prove later that the log only grew from it.`)
    : r.consistentWith === r.size
      ? (zh ? `检查点的最后一条记录登记于 ${when}；与本浏览器此前核验过的检查点相同（树大小 ${r.size}）。`
        : `The checkpoint's last entry was recorded ${when}; it is the checkpoint this browser verified before (tree size ${r.size}).`)
      : (zh ? `检查点的最后一条记录登记于 ${when}；一致性证明表明，它是在本浏览器此前核验过的树大小 ${r.consistentWith} 的检查点基础上只增不改得到的。`
        : `The checkpoint's last entry was recorded ${when}; a consistency proof shows it extends, unchanged, the checkpoint of tree size ${r.consistentWith} this browser verified before.`);
  return `<p class="consistency" id="verify-consistency" data-from="${r.consistentWith ?? ''}">${esc(text)}</p>`;
}

// The record's own entry as the browser decoded it from the verified bytes
// (not as the server described it).
function decodedBlock(r) {
  const own = r.entries.find((e) => e.index === r.record);
  if (!own || !own.event) return '';
  const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const text = JSON.stringify(own.event, (k, v) => (v instanceof Uint8Array ? hexOf(v) : k === '$which' ? undefined : v), 1);
  return `<details id="verified-decoded"><summary>${lang() === 'en' ? `Entry #${r.record} decoded in this browser from the verified bytes` : `由本浏览器从已核验字节解码的记录 #${r.record}`}</summary><pre class="json" tabindex="0">${esc(text)}</pre></details>`;
}

function table(r) {
  return `<details><summary>${lang() === 'en' ? 'Entries checked' : '逐条核验结果'}（${r.entries.length}）</summary><div class="scroll"><table class="list"><thead><tr><th scope="col">#</th><th scope="col">${esc(t('kind'))}</th><th scope="col">${esc(t('signedBy'))}</th><th scope="col">${lang() === 'en' ? 'Included' : '包含证明'}</th><th scope="col">${lang() === 'en' ? 'Signature' : '签名'}</th><th scope="col">${lang() === 'en' ? 'Authorized' : '职权'}</th></tr></thead>
    <tbody>${r.entries.map((e) => `<tr><td>${e.index}</td><td>${esc(en(KIND, e.kind))}</td><td>${esc(e.holder)}</td><td>${e.included ? '✓' : '✗'}</td><td>${e.signed ? '✓' : '✗'}</td><td>${e.authorized ? '✓' : '✗'}</td></tr>`).join('')}</tbody></table></div></details>`;
}

export function verifyPanel(el, record, shown = [], { auto = false } = {}) {
  el.innerHTML = `<section class="card verify" aria-labelledby="h-verify"><h2 id="h-verify">${esc(t('verify_title'))}</h2>
    <p class="vkey" id="vkey-line"></p>
    <p><button type="button" id="verify-btn">${esc(t('verify_btn'))}</button>
    <a id="proof-link" href="/v1/proof/bundle/${record}" download="piaojue-proof-${record}.json">${esc(t('download_proof'))}</a></p>
    <div id="verify-result" role="status" aria-live="polite"></div></section>`;
  const line = el.querySelector('#vkey-line');
  pinnedKey().then(async (p) => {
    if (p.key) {
      line.innerHTML = `${esc(t('vkey'))}：<code>${esc(p.key)}</code>（${esc(t('pinned'))}：${esc(p.source)}）`;
    } else {
      const log = await getJson('/v1/log', { withAsOf: false }).catch(() => ({}));
      line.innerHTML = `${esc(t('vkey'))}：<code>${esc(log.verifierKey || '?')}</code>（${esc(t('unpinned'))}）`;
    }
  });
  const run = async () => {
    const out = el.querySelector('#verify-result');
    out.innerHTML = `<p>${esc(t('verify_running'))}</p>`;
    try {
      const p = await pinnedKey();
      const engine = await import('./engine.js');
      const remembered = keptCheckpoint(p.key);
      const bundle = await getJson(engine.bundlePath(record, remembered), { withAsOf: false });
      const r = await engine.verifyProofBundle(bundle, { layout: engine.layout, pinnedKey: p.key, remembered });
      if (r.ok) keepCheckpoint(r.vkey, r.checkpointNote, engine.newerNote);
      out.innerHTML = summary(r, shown) + (r.ok ? decodedBlock(r) : '') + table(r) + `<p class="fine">Ed25519: ${esc(engine.ed25519Backend())} · SHA-256: Web Crypto</p>`;
      out.dataset.result = r.ok ? 'ok' : 'fail';
    } catch (e) {
      out.innerHTML = `<p class="bad"><strong>${esc(t('verify_fail'))}</strong>：${esc(plain(e.message))}</p>`;
      out.dataset.result = 'fail';
    }
  };
  el.querySelector('#verify-btn').onclick = run;
  if (auto) run();
}
