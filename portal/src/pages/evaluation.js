// 评估: satisfaction per project (stacked bars), the grade, scores,
// rectification orders and reports, operation reviews.
// Data: GET /v1/cycles/C/projects, the satisfaction votes' tallies.
import { t } from '../i18n.js';
import { getJson, getList } from '../api.js';
import { esc, date, backfillBadge, backfillNote } from '../format.js';
import { href, onLeave } from '../nav.js';

export async function evaluationPage(main, cycle) {
  const [v, cycles] = await Promise.all([getList(`/v1/cycles/${cycle}/projects`, 'projects'), getList('/v1/cycles', 'cycles')]);
  const c = cycles.cycles.find((x) => x.ref === cycle);
  // The satisfaction votes of the cycle: every vote but the selection vote.
  const votes = [];
  for (const ref of (c?.votes || []).filter((r) => r !== c.selectionVote)) {
    const tv = await getJson(`/v1/tally/${ref}`).catch(() => null);
    if (tv && tv.vote.purpose === 'satisfaction') votes.push(tv);
  }
  // The latest round with counts per project.
  const counts = new Map();
  for (const tv of votes) for (const r of tv.rounds) if (!r.void) for (const it of r.recount.items) counts.set(it.item, { ...it, vote: tv.vote.ref });
  main.innerHTML = `<h1>${esc(t('evaluation_title'))}：${esc(c ? c.title : '#' + cycle)}${backfillBadge(c)}</h1>
    ${backfillNote(c)}
    ${votes.map((tv) => `<p><a href="${href('/votes/' + tv.vote.ref)}" data-link>${esc(t('satisfaction'))} #${tv.vote.ref}</a>${tv.vote.revoteReason ? `（<strong>${esc(t('revote'))}</strong>，${esc(t('revoteReason'))}：<span class="revote-reason">${esc(tv.vote.revoteReason)}</span>）` : ''}</p>`).join('')}
    <div class="chart tall" id="sat-chart"></div>
    <div class="scroll"><table class="list" id="eval-table"><thead><tr><th scope="col">${esc(t('projects'))}</th><th scope="col">${esc(t('satisfied'))}</th><th scope="col">${esc(t('basicallySatisfied'))}</th><th scope="col">${esc(t('unsatisfied'))}</th><th scope="col">${esc(t('abstain'))}</th><th scope="col">${esc(t('grade'))}</th><th scope="col">${esc(t('scores'))}</th></tr></thead>
    <tbody>${v.projects.map((p) => { const k = counts.get(p.ref); const s = p.evaluation.scores.at(-1); return `<tr><th scope="row"><a href="${href('/cycles/' + cycle + '/supervision')}#project-${p.ref}" data-link>${esc(p.name)}</a></th><td class="num">${k ? k.satisfied : '—'}</td><td class="num">${k ? k.basicallySatisfied : '—'}</td><td class="num">${k ? k.unsatisfied : '—'}</td><td class="num">${k ? k.abstain : '—'}</td><td>${p.evaluation.satisfaction ? `<strong class="${p.evaluation.satisfaction === 'unsatisfied' ? 'bad' : 'good'}">${esc(t(p.evaluation.satisfaction))}</strong>` : '—'}</td><td class="num">${s ? `${s.overall}` : '—'}</td></tr>`; }).join('')}</tbody></table></div>
    ${v.projects.filter((p) => p.evaluation.rectifications.length || p.evaluation.operationReviews.length || p.evaluation.scores.length || p.evaluation.satisfactionGrades.length > 1).map((p) => `<section class="card" aria-labelledby="eh-${p.ref}"><h2 id="eh-${p.ref}">${esc(p.name)}</h2>
      ${p.evaluation.satisfactionGrades.length > 1 ? `<h3>${esc(t('satisfaction'))}</h3><ol class="grades">${p.evaluation.satisfactionGrades.map((g) => `<li><a href="${href('/votes/' + g.vote)}" data-link>#${g.vote}</a>：<strong>${esc(t(g.grade))}</strong>${g.revoteReason ? `（${esc(t('revote'))}：${esc(g.revoteReason)}）` : ''}</li>`).join('')}</ol>` : ''}
      ${p.evaluation.scores.map((s) => `<p>${esc(t('scores'))}：${s.cost} / ${s.benefit} / ${s.overall} — ${esc((s.evaluators || []).join('、'))} ${esc(s.notes)} <a href="${href('/records/' + s.entry)}" data-link>#${s.entry}</a></p>`).join('')}
      ${p.evaluation.rectifications.map((r) => `<div><h3>${esc(t('rectifications'))} <small>${esc(t(r.status))}</small></h3><p>${esc(date(r.orderedOn))} → ${esc(date(r.deadline))}：${esc(r.requirements)} <a href="${href('/records/' + r.ref)}" data-link>#${r.ref}</a></p>
        <ul>${r.reports.map((x) => `<li>${esc(date(x.reportedOn))}：${x.completed ? '✓ ' : ''}${esc(x.text)} <a href="${href('/records/' + x.entry)}" data-link>#${x.entry}</a></li>`).join('')}</ul></div>`).join('')}
      ${p.evaluation.operationReviews.length ? `<h3>${esc(t('operationReviews'))}</h3><ul>${p.evaluation.operationReviews.map((o) => `<li>${esc(date(o.reviewedOn))}：${esc(o.text)}</li>`).join('')}</ul>` : ''}
    </section>`).join('')}`;
  const rated = v.projects.filter((p) => counts.has(p.ref));
  if (!rated.length) { document.getElementById('sat-chart').remove(); return; }
  const charts = await import('../charts.js');
  onLeave(charts.disposeAll);
  const k = (p, f) => counts.get(p.ref)[f];
  charts.bars(document.getElementById('sat-chart'), { label: t('satisfaction') + ': ' + rated.map((p) => `${p.name} ${t(p.evaluation.satisfaction || 'notYet')}`).join(', '),
    categories: rated.map((p) => p.name), horizontal: true, stack: true, series: [
      { name: t('satisfied'), data: rated.map((p) => k(p, 'satisfied')), color: '#2e7d32' },
      { name: t('basicallySatisfied'), data: rated.map((p) => k(p, 'basicallySatisfied')), color: '#9ccc65' },
      { name: t('unsatisfied'), data: rated.map((p) => k(p, 'unsatisfied')), color: '#c62828' },
      { name: t('abstain'), data: rated.map((p) => k(p, 'abstain')), color: '#9e9e9e' }] });
}
