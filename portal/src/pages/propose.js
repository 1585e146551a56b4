// 我要提建议: the public-intake form (POST /v1/proposals); returns the
// receipt number (the entry index) to look the proposal up later.
import { t, en, CATEGORY, lang } from '../i18n.js';
import { getJson, postJson, cstToday, getList, staticSite, NeedsLiveServer } from '../api.js';
import { esc, date } from '../format.js';
import { href } from '../nav.js';

const bytes = (s) => new TextEncoder().encode(s).length;

export function validate(f) {
  const errors = {};
  const need = (k, label) => { if (!f[k] || !f[k].trim()) errors[k] = t('v_required', { f: label }); };
  need('title', t('f_title'));
  need('description', t('f_description'));
  need('location', t('f_location'));
  if (!f.category) errors.category = t('v_required', { f: t('f_category') });
  if (!errors.title && bytes(f.title) > 300) errors.title = t('v_tooLong', { f: t('f_title'), n: 300 });
  if (!errors.location && bytes(f.location) > 300) errors.location = t('v_tooLong', { f: t('f_location'), n: 300 });
  if (!errors.description && bytes(f.description) > 8000) errors.description = t('v_tooLong', { f: t('f_description'), n: 8000 });
  if (f.investment !== '' && !(Number(f.investment) >= 0)) errors.investment = t('v_number');
  if (!f.cycle) errors.cycle = t('v_cycle');
  return errors;
}

function explain(e) {
  if (e.code === 'rate_limited') return t('rate_limited', { s: e.retryAfter || 30 });
  if (lang() !== 'en') {
    if (/proposal\.window/.test(e.message)) return '当前不在该年度的征集期内，无法提交。';
    if (e.code === 'unavailable') return '本平台暂未开通网上征集，请通过其他渠道提交。';
    if (e.code === 'invalid_argument') return '提交的内容不符合要求：' + e.message;
  }
  return e.message;
}

export async function proposePage(main) {
  if (staticSite()) throw new NeedsLiveServer('/propose');
  const v = await getList('/v1/cycles', 'cycles', { withAsOf: false });
  const today = cstToday();
  const open = v.cycles.filter((c) => c.collection.start <= today && today <= c.collection.end);
  const cats = Object.keys(CATEGORY.zh).filter((k) => k !== 'unspecified');
  const field = (id, label, input) => `<div class="field"><label for="f-${id}">${esc(label)}</label>${input}<p class="field-error" id="err-${id}" aria-live="polite"></p></div>`;
  main.innerHTML = `<h1>${esc(t('propose_title'))}</h1><p>${esc(t('propose_intro'))}</p>
    <form id="propose-form" class="stack" novalidate>
      ${field('cycle', t('f_cycle'), `<select id="f-cycle" name="cycle">${open.map((c) => `<option value="${c.ref}">${esc(c.title)}（${esc(date(c.collection.start))} – ${esc(date(c.collection.end))}）</option>`).join('')}</select>`)}
      ${field('title', t('f_title'), '<input id="f-title" name="title" maxlength="300" autocomplete="off">')}
      ${field('description', t('f_description'), '<textarea id="f-description" name="description"></textarea>')}
      ${field('category', t('f_category'), `<select id="f-category" name="category"><option value="">—</option>${cats.map((k) => `<option value="${k}">${esc(en(CATEGORY, k))}</option>`).join('')}</select>`)}
      ${field('location', t('f_location'), '<input id="f-location" name="location" maxlength="300">')}
      ${field('investment', t('f_investment'), '<input id="f-investment" name="investment" inputmode="decimal">')}
      ${field('name', t('f_name'), '<input id="f-name" name="name" autocomplete="name">')}
      <button type="submit">${esc(t('f_submit'))}</button>
      <div id="propose-result" role="status" aria-live="polite"></div>
    </form>`;
  if (!open.length) document.getElementById('err-cycle').textContent = t('v_cycle');
  const form = document.getElementById('propose-form');
  form.onsubmit = async (e) => {
    e.preventDefault();
    const val = (k) => (document.getElementById('f-' + k).value || '');
    const f = { cycle: val('cycle'), title: val('title'), description: val('description'), category: val('category'), location: val('location'), investment: val('investment').trim(), name: val('name').trim() };
    const errors = validate(f);
    for (const k of ['cycle', 'title', 'description', 'category', 'location', 'investment']) {
      document.getElementById('err-' + k).textContent = errors[k] || '';
      const input = document.getElementById('f-' + k);
      if (errors[k]) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    }
    const out = document.getElementById('propose-result');
    if (Object.keys(errors).length) { out.innerHTML = ''; document.getElementById('f-' + Object.keys(errors)[0]).focus(); return; }
    const details = { title: f.title.trim(), description: f.description.trim(), category: f.category, location: f.location.trim() };
    if (f.investment !== '') details.estimatedInvestmentFen = Math.round(Number(f.investment) * 1000000);
    const body = { cycle: Number(f.cycle), details };
    if (f.name) body.proposerName = f.name;
    try {
      const r = await postJson('/v1/proposals', body);
      out.innerHTML = `<p class="good" id="receipt"><strong>${esc(t('propose_ok', { n: r.index }))}</strong></p><p><a href="${href('/proposals/' + r.index)}" data-link>${esc(t('propose_lookup'))}</a></p>`;
      form.querySelector('button[type=submit]').disabled = true;
    } catch (err) {
      out.innerHTML = `<p class="bad">${esc(explain(err))}</p>`;
    }
  };
}
