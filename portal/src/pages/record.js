// 记录详情: a record's whole trail (GET /v1/audit/R), each correction with
// its reason and the value before and after (GET /v1/corrections), the
// signing office of each act, and the 验证 panel.
import { t, en, KIND } from '../i18n.js';
import { getJson } from '../api.js';
import { esc, instant, backfillNote } from '../format.js';
import { href } from '../nav.js';
import { verifyPanel } from '../verify/panel.js';

// The fields that differ between two decoded events, as [path, before, after].
export function changedFields(before, after, path = '') {
  const out = [];
  if (JSON.stringify(before) === JSON.stringify(after)) return out;
  if (before && after && typeof before === 'object' && typeof after === 'object' && !Array.isArray(before)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) out.push(...changedFields(before[k], after[k], path ? `${path}.${k}` : k));
    return out;
  }
  out.push([path, before, after]);
  return out;
}

const show = (v) => (v === undefined || v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function correctionBlock(c, level = 3) {
  const kindName = Object.keys(c.before || {})[0];
  const fields = c.after ? changedFields(c.before?.[kindName], c.after?.[kindName]) : [];
  return `<div class="card correction" id="correction-${c.entry}"><h${level}>${esc(t('corrections'))} <a href="${href('/records/' + c.entry)}" data-link>#${c.entry}</a> → #${c.target} <small>${esc(instant(c.recordedAtMs))} · ${esc(c.author.holder || c.author.key.slice(0, 16))}</small></h${level}>
    <p>${esc(t('reason'))}：${esc(c.reason)}</p>
    ${c.kind === 'retraction' ? `<p class="bad">${esc(t('retracted'))}</p>` : `<div class="scroll"><table class="list"><thead><tr><th scope="col">${esc(t('kind'))}</th><th scope="col">${esc(t('before'))}</th><th scope="col">${esc(t('after'))}</th></tr></thead><tbody>${fields.map(([p, b, a]) => `<tr><th scope="row">${esc(p)}</th><td class="diff-remove">${esc(show(b))}</td><td class="diff-add">${esc(show(a))}</td></tr>`).join('')}</tbody></table></div>`}
  </div>`;
}

export async function recordPage(main, ref, { autoVerify = false } = {}) {
  let audit = null;
  try { audit = await getJson(`/v1/audit/${ref}`); } catch (e) { if (e.status !== 404) throw e; }
  const entry = await getJson(`/v1/entries/${ref}`, { withAsOf: false });
  const corr = await getJson('/v1/corrections');
  const trail = audit ? audit.entries : [];
  const indices = new Set(trail.map((e) => e.entry));
  indices.add(ref);
  const mine = corr.corrections.filter((c) => indices.has(c.target));
  const kind = entry.decoded.kind;
  main.innerHTML = `<h1>${esc(t('record_title'))} #${ref} <small>${esc(en(KIND, kind))}</small></h1>
    <p class="meta">${esc(entry.decoded.jurisdiction || '')} · ${esc(instant(entry.decoded.recordedAtMs))}</p>
    ${kind === 'cycleOpened' ? backfillNote(entry.decoded.event.cycleOpened) : ''}
    ${audit ? `<section aria-labelledby="h-trail"><h2 id="h-trail">${esc(t('trail'))}（${trail.length}）</h2>
      <div class="scroll"><table class="list" id="trail"><thead><tr><th scope="col">#</th><th scope="col">${esc(t('relation'))}</th><th scope="col">${esc(t('kind'))}</th><th scope="col">${esc(t('signedBy'))}</th><th scope="col">${esc(t('recordedAt'))}</th><th scope="col">${esc(t('corrections'))}</th></tr></thead>
      <tbody>${trail.map((e) => `<tr${e.retracted ? ' class="retracted"' : ''}><td><a href="${href('/records/' + e.entry)}" data-link>${e.entry}</a></td><td>${esc(e.relation)}</td><td>${esc(en(KIND, e.kind))}</td><td>${esc(e.author?.holder || '')}</td><td>${esc(instant(e.recordedAtMs))}</td><td>${(e.corrections || []).map((c) => `<a href="#correction-${c}">#${c}</a>`).join(' ')}${e.retracted ? ` ${esc(t('retracted'))}` : ''}</td></tr>`).join('')}</tbody></table></div></section>` : ''}
    <section aria-labelledby="h-corr"><h2 id="h-corr">${esc(t('corrections'))}（${mine.length}）</h2>${mine.map((c) => correctionBlock(c, 3)).join('') || `<p>${esc(t('none'))}</p>`}</section>
    <section aria-labelledby="h-raw"><h2 id="h-raw">${document.documentElement.lang === 'en' ? 'The entry as recorded' : '原始记录'}</h2><pre class="json">${esc(JSON.stringify(entry.decoded.event, null, 1))}</pre></section>
    <div id="verify-slot"></div>`;
  verifyPanel(document.getElementById('verify-slot'), ref, [...indices], { auto: autoVerify });
}
