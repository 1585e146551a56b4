// The 验证 panel on record pages: checks the record's proof bundle in the
// browser and says plainly what was proven against which tree size.
import { t, lang, en, KIND } from '../i18n.js';
import { getJson, portalConfig, fileUrl } from '../api.js';
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

// The witnesses whose cosignatures the browser requires (docs/PORTAL.md,
// "Witnesses"): the visitor's own list when they entered one on 如何核验
// (localStorage, this site only), else the deployment's (portal.json's
// `witnesses` and `witnessQuorum`, served in /portal-config.json), else
// the server's own `serve --witness` keys (not pinned; all required), else
// none. Returns {keys, quorum, source} or null.
const OWN_WITNESSES = 'piaojue.witnesses';
export function ownWitnesses() {
  try {
    const o = JSON.parse(localStorage.getItem(OWN_WITNESSES) || 'null');
    if (!o || !Array.isArray(o.keys) || !o.keys.length) return null;
    return { keys: o.keys.filter((k) => typeof k === 'string'), quorum: o.quorum ?? null };
  } catch {
    return null;
  }
}
export function setOwnWitnesses(keys, quorum) {
  if (!keys || !keys.length) localStorage.removeItem(OWN_WITNESSES);
  else localStorage.setItem(OWN_WITNESSES, JSON.stringify({ keys, quorum: quorum ?? null, savedAtMs: Date.now() }));
}
export async function witnessConfig() {
  const own = ownWitnesses();
  if (own) return { keys: own.keys, quorum: own.quorum, source: 'visitor' };
  const cfg = await portalConfig();
  if (Array.isArray(cfg.witnesses) && cfg.witnesses.length) return { keys: cfg.witnesses, quorum: cfg.witnessQuorum ?? null, source: 'deployment' };
  // Not pinned: the witnesses the server itself says it uses (serve
  // --witness), all of them required.
  if (Array.isArray(cfg.serverWitnesses) && cfg.serverWitnesses.length) return { keys: cfg.serverWitnesses, quorum: null, source: 'server' };
  return null;
}
// The policy for a verification: parsed keys and quorum (an error in them
// is a failure of the verification, not a reason to skip the witnesses).
export async function witnessPolicyFor(engine) {
  const c = await witnessConfig();
  if (!c) return null;
  try {
    return await engine.witnessPolicy(c.keys, c.quorum, c.source);
  } catch (e) {
    throw new Error(`witnesses: ${c.source === 'visitor' ? 'your own witness list' : "the deployment's witness list"}: ${e.message}`);
  }
}

function sourceText(source) {
  const zh = lang() !== 'en';
  if (source === 'visitor') return zh ? '您在本浏览器中自己设置的见证方' : 'the witnesses you set in this browser';
  if (source === 'server') return zh ? '运行日志的服务器自己声明的见证方（未固定：请向见证方本身核对其公钥）' : 'the witnesses the server running the log names itself (NOT pinned: check their keys with the witnesses themselves)';
  return zh ? '本平台部署配置的见证方' : "the deployment's configured witnesses";
}

// POSIX seconds as "YYYY-MM-DD HH:MM:SS 北京时间" (a witness's own clock).
export function cstSeconds(seconds) {
  const d = new Date(Number(seconds) * 1000 + 8 * 3600e3);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${t('cst')}`;
}

// Who cosigned the checkpoint and whether the quorum is met (`w` from
// checkCosignatures, or null when no witness is configured).
export function witnessBlock(w, id = 'verify-witnesses') {
  const zh = lang() !== 'en';
  const own = `<a href="/about#witnesses">${zh ? '设置您自己信任的见证方' : 'set the witnesses you trust'}</a>`;
  if (!w) {
    return `<p class="witnesses" id="${id}" data-met="none">${zh
      ? '未配置见证方：本次核验没有要求独立见证方对检查点的联署，无法排除服务器向不同访问者展示不同历史（分叉视图）。'
      : 'No witnesses configured: this verification did not require independent witnesses to have cosigned the checkpoint, so it cannot rule out a server showing different visitors different histories (a split view).'} ${own}</p>`;
  }
  const n = w.cosigners.length;
  const head = zh
    ? `见证方联署：${w.of} 个见证方中有 ${n} 个联署了该检查点（要求至少 ${w.quorum} 个：${w.met ? '已满足' : '未满足'}）${w.forged.length ? `；${w.forged.length} 个见证方名下的联署签名验证不通过（伪造或损坏）` : ''}。见证方名单：${sourceText(w.source)}。`
    : `Witnesses: ${n} of ${w.of} witnesses cosigned this checkpoint (at least ${w.quorum} required: ${w.met ? 'met' : 'NOT met'})${w.forged.length ? `; the cosignature of ${w.forged.length} witness(es) does not verify (forged or damaged)` : ''}. Witness list: ${sourceText(w.source)}.`;
  const status = (r) => (r.status === 'cosigned' && !r.why ? (zh ? '✓ 已联署' : '✓ cosigned')
    : r.status === 'cosigned' ? (zh ? '✓ 已联署；另有一行验证不通过' : '✓ cosigned; another line does not verify')
      : r.status === 'forged' ? (zh ? '✗ 联署签名验证不通过' : '✗ does not verify')
        : (zh ? '✗ 未联署' : '✗ not cosigned'));
  const rows = w.witnesses.map((r) => `<tr data-witness="${esc(r.name)}" data-status="${r.status}${r.why && r.status === 'cosigned' ? '+bad' : ''}"><td>${r.label ? `${esc(r.label)}<br>` : ''}<code>${esc(r.name)}</code></td><td><code>${esc(r.keyId)}</code></td><td>${r.timestamp !== null ? esc(cstSeconds(r.timestamp)) : '—'}</td><td>${esc(status(r))}</td></tr>`).join('');
  const ok = w.met && !w.forged.length;
  return `<div class="witnesses" id="${id}" data-met="${w.met}" data-cosigned="${n}"><p class="${ok ? 'good' : 'bad'}">${esc(head)}</p>
    <div class="scroll" tabindex="0"><table class="list"><caption>${zh ? '见证方（时间为见证方自己的时钟）' : "Witnesses (times by each witness's own clock)"}</caption><thead><tr><th scope="col">${zh ? '见证方' : 'Witness'}</th><th scope="col">${esc(t('keyId'))}</th><th scope="col">${zh ? '联署时间' : 'Cosigned at'}</th><th scope="col">${zh ? '结果' : 'Result'}</th></tr></thead><tbody>${rows}</tbody></table></div>
    <p class="fine">${zh ? '见证方只在检查点延续其此前联署过的检查点时才联署，因此达到法定数的联署表明这些见证方看到的是同一段只增不改的历史；它不证明记录内容正确（那由上面的逐条核验证明），也不证明检查点是最新的。' : 'A witness cosigns a checkpoint only if it extends every checkpoint of this log it cosigned before, so a quorum shows these witnesses saw this very append-only history; it does not show that the entries are right (the checks above do) nor that the checkpoint is the newest.'} ${own}</p></div>`;
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
  [/witnesses: a cosignature line of/, '见证方联署签名验证不通过：检查点上以见证方名义附加的联署不是该见证方对这个检查点的签名（伪造或损坏）'],
  [/witnesses: quorum not met/, '见证方联署不足：联署该检查点的见证方未达到要求的法定数，无法证明其他人看到的是同一段历史'],
  [/witnesses: (your own|the deployment's) witness list/, '见证方名单有误：见证方公钥或法定数格式错误'],
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
    <a id="proof-link" href="${fileUrl(`/v1/proof/bundle/${record}`)}" download="piaojue-proof-${record}.json">${esc(t('download_proof'))}</a></p>
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
      const witnesses = await witnessPolicyFor(engine);
      const bundle = await getJson(engine.bundlePath(record, remembered), { withAsOf: false });
      const r = await engine.verifyProofBundle(bundle, { layout: engine.layout, pinnedKey: p.key, remembered, witnesses });
      if (r.ok) keepCheckpoint(r.vkey, r.checkpointNote, engine.newerNote);
      // Who cosigned (also when that failed); nothing when the check failed
      // before the witnesses were looked at.
      const wb = r.witnesses ? witnessBlock(r.witnesses) : witnesses ? '' : witnessBlock(null);
      out.innerHTML = summary(r, shown) + wb + (r.ok ? decodedBlock(r) : '') + table(r) + `<p class="fine">Ed25519: ${esc(engine.ed25519Backend())} · SHA-256: Web Crypto</p>`;
      out.dataset.result = r.ok ? 'ok' : 'fail';
    } catch (e) {
      out.innerHTML = `<p class="bad"><strong>${esc(t('verify_fail'))}</strong>：${esc(plain(e.message))}</p>`;
      out.dataset.result = 'fail';
    }
  };
  el.querySelector('#verify-btn').onclick = run;
  if (auto) run();
}
