// 查询我的建议: search by receipt number, record number or title words
// (GET /v1/search), and a proposal's whole story (GET /v1/proposals/R/story).
import { t, en, CATEGORY, CHANNEL, KIND } from '../i18n.js';
import { getJson } from '../api.js';
import { esc, money, date, instant, percent, backfillBadge, backfillNote } from '../format.js';
import { href, navigate } from '../nav.js';
import { fateText, fateDetail } from './proposals.js';
import { verifyPanel } from '../verify/panel.js';

export async function lookupPage(main) {
  const q = new URLSearchParams(location.search).get('q') || '';
  main.innerHTML = `<h1>${esc(t('lookup_title'))}</h1>
    <form id="lookup-form" class="stack" role="search">
      <label for="lookup-q">${esc(t('lookup_hint'))}</label>
      <div class="row"><input id="lookup-q" name="q" type="search" value="${esc(q)}" required maxlength="200" autocomplete="off"><button type="submit">${esc(t('lookup_go'))}</button></div>
    </form><div id="lookup-results" aria-live="polite"></div>`;
  document.getElementById('lookup-form').onsubmit = (e) => {
    e.preventDefault();
    const v = document.getElementById('lookup-q').value.trim();
    if (v) navigate(href('/lookup', { q: v }));
  };
  if (!q) return;
  const r = await getJson('/v1/search?q=' + encodeURIComponent(q));
  const out = document.getElementById('lookup-results');
  if (!r.results.length) { out.innerHTML = `<p class="empty">${esc(t('lookup_none'))}</p>`; return; }
  out.innerHTML = `<ul class="results">${r.results.map((p) => `<li><a href="${href('/proposals/' + p.ref)}" data-link><strong>#${p.ref} ${esc(p.title)}</strong></a>
    <span>${esc(p.cycleTitle)}${backfillBadge(p)} · ${esc(en(CHANNEL, p.channel))}${p.receiptRef ? ` · ${esc(t('receipt'))} ${esc(p.receiptRef)}` : ''} · <b>${esc(t('fate_' + p.status))}</b></span></li>`).join('')}</ul>`;
}

function trailRows(entries) {
  return entries.map((e) => `<tr${e.retracted ? ' class="retracted"' : ''}><td><a href="${href('/records/' + e.entry)}" data-link>#${e.entry}</a></td><td>${esc(instant(e.recordedAtMs))}</td>
    <td>${esc(en(KIND, e.kind))}</td><td>${esc(e.author?.holder || (e.author?.key || '').slice(0, 16))}</td>
    <td>${e.corrections?.length ? e.corrections.map((c) => `<a href="${href('/records/' + c)}" data-link>${esc(t('corrections'))} #${c}</a>`).join(' ') : ''}${e.retracted ? ` <b>${esc(t('retracted'))}</b>` : ''}</td></tr>`).join('');
}

export function trailTable(entries, id = 'trail') {
  return `<div class="scroll"><table class="list" id="${id}"><thead><tr><th scope="col">#</th><th scope="col">${esc(t('recordedAt'))}</th><th scope="col">${esc(t('kind'))}</th><th scope="col">${esc(t('signedBy'))}</th><th scope="col">${esc(t('corrections'))}</th></tr></thead><tbody>${trailRows(entries)}</tbody></table></div>`;
}

export async function storyPage(main, ref) {
  const s = await getJson(`/v1/proposals/${ref}/story`);
  const p = s.proposal;
  const proj = s.project;
  const lastProgress = proj && proj.progress.length ? proj.progress[proj.progress.length - 1] : null;
  main.innerHTML = `<h1>#${p.ref} ${esc(p.title)}</h1>
    <p class="meta">${esc(s.cycle.title)}${backfillBadge(s.cycle)}</p>
    ${backfillNote(s.cycle)}
    <section aria-labelledby="h-fate" class="card fate-${esc(p.fate.status)}"><h2 id="h-fate">${esc(t('fate'))}：<span id="story-fate">${esc(fateText(p.fate))}</span></h2>
      <p>${fateDetail(p.fate)}</p>
      ${s.mergedInto.length ? `<p>${esc(t('mergedInto'))}：${s.mergedInto.map((m) => `<a href="${href('/proposals/' + m.ref)}" data-link>#${m.ref} ${esc(m.title)}</a>（${esc(fateText(m.fate))}）`).join(' → ')}</p>` : ''}
      ${s.candidate ? `<p>${esc(t('candidates'))}：${esc(s.candidate.name)} · ${esc(s.candidate.implementingAgency)} · ${esc(money(s.candidate.investment))}</p>` : ''}
      ${proj ? `<p>${esc(t('projects'))}：<strong>${esc(t('ps_' + proj.status))}</strong>${lastProgress ? ` · ${esc(t('progress'))} ${esc(percent(lastProgress.percentBp))}（${esc(date(lastProgress.asOf))}）` : ''}${proj.evaluation.satisfaction ? ` · ${esc(t('grade'))}：<strong>${esc(t(proj.evaluation.satisfaction))}</strong>` : ''}
        · <a href="${href(`/cycles/${s.cycle.ref}/supervision`)}#project-${proj.ref}" data-link>${esc(t('supervision_title'))}</a></p>` : ''}
    </section>
    <section aria-labelledby="h-details"><h2 id="h-details">${esc(t('f_description'))}</h2>
      <p>${esc(p.description)}</p>
      <dl class="facts"><div><dt>${esc(t('channel'))}</dt><dd>${esc(en(CHANNEL, p.channel))}</dd></div><div><dt>${esc(t('category'))}</dt><dd>${esc(en(CATEGORY, p.category))}</dd></div>
      <div><dt>${esc(t('location'))}</dt><dd>${esc(p.location)}</dd></div><div><dt>${esc(t('investment'))}</dt><dd>${esc(money(p.estimatedInvestment))}</dd></div>
      <div><dt>${esc(t('proposer'))}</dt><dd>${esc(p.proposerName || t('anonymous'))}</dd></div>
      ${p.receivedOn ? `<div><dt>${esc(t('receivedOn'))}</dt><dd id="story-received">${esc(date(p.receivedOn))}</dd></div>` : ''}<div><dt>${esc(t('recordedOn'))}</dt><dd id="story-recorded">${esc(date(p.recordedOn))}</dd></div>${p.receiptRef ? `<div><dt>${esc(t('receipt'))}</dt><dd>${esc(p.receiptRef)}</dd></div>` : ''}</dl>
    </section>
    <section aria-labelledby="h-trail"><h2 id="h-trail">${esc(t('story'))}</h2>
      ${(p.screening || []).length ? `<ol class="screening">${p.screening.map((x) => `<li><strong>${esc(t('stage_' + x.stage))}</strong>：${esc(t('outcome_' + x.outcome))} — ${esc(x.reasonText || '')}（${esc(x.decidedBy?.holder || '')}，<a href="${href('/records/' + x.entry)}" data-link>#${x.entry}</a>）</li>`).join('')}</ol>` : ''}
      ${trailTable(s.trail)}
    </section>
    <div id="verify-slot"></div>`;
  verifyPanel(document.getElementById('verify-slot'), ref, s.trail.map((e) => e.entry));
}
