// 有何变化 (what changed between two dates, by record name) and the list of
// every correction. Data: GET /v1/diff?view=…&from=&to=, GET /v1/corrections.
import { t, lang } from '../i18n.js';
import { getJson } from '../api.js';
import { esc } from '../format.js';
import { href, navigate } from '../nav.js';
import { correctionBlock } from './record.js';

// Turns a JSON Patch path into names: "/cycles/2/counts/elected" on the
// cycles view -> "清河县2025年民生实事项目 › counts › elected".
export function namePath(doc, path) {
  const parts = path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const names = [];
  let cur = doc;
  for (const p of parts) {
    if (Array.isArray(cur)) {
      const item = cur[Number(p)];
      const label = item && typeof item === 'object' ? (item.title || item.name || item.label || (item.ref !== undefined ? '#' + item.ref : null) || (item.entry !== undefined ? '#' + item.entry : null)) : null;
      if (p !== '-') names.push(label ?? `[${Number(p) + 1}]`);
      cur = item;
    } else {
      names.push(p);
      cur = cur && typeof cur === 'object' ? cur[p] : undefined;
    }
  }
  return names.join(' › ');
}

const OP = { zh: { add: '新增', remove: '删除', replace: '改为' }, en: { add: 'added', remove: 'removed', replace: 'now' } };

export async function changesPage(main) {
  const q = new URLSearchParams(location.search);
  const from = q.get('from') || '';
  const to = q.get('to') || '';
  const cycle = q.get('cycle') || '';
  main.innerHTML = `<h1>${esc(t('changes_title'))}</h1>
    <form id="changes-form" class="stack">
      <div class="row"><label for="from">${esc(t('changes_from'))}</label><input id="from" name="from" type="date" value="${esc(from)}" required>
      <label for="to">${esc(t('changes_to'))}</label><input id="to" name="to" type="date" value="${esc(to)}"></div>
      <button type="submit">${esc(t('changes_go'))}</button></form><div id="changes-out" aria-live="polite"></div>`;
  document.getElementById('changes-form').onsubmit = (e) => {
    e.preventDefault();
    navigate(href('/changes', { from: document.getElementById('from').value, to: document.getElementById('to').value, cycle }));
  };
  if (!from) return;
  const out = document.getElementById('changes-out');
  // The cycles view, then every cycle's funnel and projects: what a visitor
  // follows. Names come from the newer document.
  const toParam = to ? `&to=${encodeURIComponent(to)}` : '';
  const now = await getJson(`/v1/cycles?limit=1000${to ? '&as_of=' + encodeURIComponent(to) : ''}`, { withAsOf: false });
  const parts = [['cycles', '', now]];
  for (const c of now.cycles) {
    if (cycle && String(c.ref) !== cycle) continue;
    for (const view of ['funnel', 'projects']) parts.push([view, `&cycle=${c.ref}`, null, c.title]);
  }
  let html = '';
  let any = false;
  for (const [view, extra, docGiven, title] of parts) {
    let d;
    try {
      d = await getJson(`/v1/diff?view=${view}${extra}&from=${encodeURIComponent(from)}${toParam}`, { withAsOf: false });
    } catch (e) {
      if (e.status === 404) continue; // the record did not exist yet
      throw e;
    }
    if (!d.patch.length) continue;
    any = true;
    const doc = docGiven || (await getJson(`/v1/views/${view}?limit=1000${extra}${to ? '&as_of=' + encodeURIComponent(to) : ''}`, { withAsOf: false }));
    const ops = OP[lang() === 'en' ? 'en' : 'zh'];
    html += `<section class="card"><h2>${esc(title ? `${title} · ${view}` : view)} <small>${d.from} → ${d.to}</small></h2><ul class="changes">${d.patch.slice(0, 200).map((p) => `<li><strong>${esc(namePath(doc, p.path))}</strong> ${esc(ops[p.op] || p.op)} ${p.value !== undefined ? `<code>${esc(typeof p.value === 'object' ? JSON.stringify(p.value).slice(0, 200) : String(p.value))}</code>` : ''}</li>`).join('')}</ul>${d.patch.length > 200 ? `<p>… ${d.patch.length - 200}</p>` : ''}</section>`;
  }
  out.innerHTML = any ? html : `<p>${esc(t('changes_none'))}</p>`;
}

export async function correctionsPage(main) {
  const v = await getJson('/v1/corrections');
  main.innerHTML = `<h1>${esc(t('corrections_title'))}（${v.corrections.length}）</h1>${v.corrections.map((c) => correctionBlock(c, 2)).join('') || `<p>${esc(t('none'))}</p>`}`;
}
