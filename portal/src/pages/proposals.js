// 征集与初定: proposals by channel and category, the screening funnel, each
// proposal's fate with who decided and why. Data: GET /v1/cycles/R/funnel.
import { t, en, CATEGORY, CHANNEL } from '../i18n.js';
import { getJson, getList } from '../api.js';
import { esc, money, backfillBadge, backfillNote, receivedRecorded } from '../format.js';
import { href, onLeave } from '../nav.js';

export function fateText(f) {
  let s = t('fate_' + f.status);
  if (f.status === 'rejected') s += `（${t('stage_' + f.stage)}）`;
  if (f.status === 'inScreening' && f.nextStage) s += `（${t('stage_' + f.nextStage)}）`;
  return s;
}

export function fateDetail(f) {
  const parts = [];
  if (f.status === 'merged') parts.push(`${esc(t('mergedInto'))} <a href="${href('/proposals/' + f.into)}" data-link>#${f.into}</a>`);
  if (f.decidedBy) parts.push(`${esc(t('decidedBy'))}：${esc(f.decidedBy.holder || f.decidedBy.key.slice(0, 16))}`);
  if (f.reasonText) parts.push(`${esc(t('reason'))}：${esc(f.reasonText)}`);
  if (f.entry) parts.push(`<a href="${href('/records/' + f.entry)}" data-link>#${f.entry}</a>`);
  return parts.join('；');
}

export async function proposalsPage(main, cycle) {
  const [v, cycles] = await Promise.all([
    getList(`/v1/cycles/${cycle}/funnel`, 'proposals'),
    getList('/v1/cycles', 'cycles'),
  ]);
  const c = cycles.cycles.find((x) => x.ref === cycle);
  const tot = v.totals;
  const byCat = {};
  for (const p of v.proposals) if (!p.merged) byCat[p.category] = (byCat[p.category] || 0) + 1;
  const stages = tot.byStage || {};
  const adv = (s) => (stages[s] ? stages[s].advanced : 0);
  const live = tot.submitted - tot.retiredByMerge + tot.merges;
  const steps = [
    [t('submitted'), tot.submitted], [t('mergedF'), live],
    [t('review'), adv('governmentReview')], [t('approval'), adv('partyCommitteeApproval')], [t('examination'), adv('standingCommitteeExamination')],
    [t('candidates'), tot.candidates], [t('elected'), tot.elected],
  ];
  const channels = Object.entries(tot.byChannel || {});
  main.innerHTML = `<h1>${esc(t('go_proposals'))}：${esc(c ? c.title : '#' + cycle)}${backfillBadge(v)}</h1>
    ${backfillNote(v)}
    <section aria-labelledby="h-funnel"><h2 id="h-funnel">${esc(t('funnel'))}</h2>
      <div class="chart" id="chart-funnel"></div>
      <table class="compact"><caption class="sr">${esc(t('funnel'))}</caption><tbody>${steps.map(([k, n]) => `<tr><th scope="row">${esc(k)}</th><td class="num">${n}</td></tr>`).join('')}</tbody></table>
    </section>
    <div class="two">
    <section aria-labelledby="h-ch"><h2 id="h-ch">${esc(t('byChannel'))}</h2><div class="chart" id="chart-channel"></div>
      <table class="compact"><thead><tr><th scope="col">${esc(t('channel'))}</th><th scope="col">${esc(t('submitted'))}</th><th scope="col">${esc(t('candidates'))}</th><th scope="col">${esc(t('elected'))}</th></tr></thead>
      <tbody>${channels.map(([k, x]) => `<tr><th scope="row">${esc(en(CHANNEL, k))}</th><td class="num">${x.submitted}</td><td class="num">${x.candidates}</td><td class="num">${x.elected}</td></tr>`).join('')}</tbody></table></section>
    <section aria-labelledby="h-cat"><h2 id="h-cat">${esc(t('byCategory'))}</h2><div class="chart" id="chart-category"></div></section>
    </div>
    <section aria-labelledby="h-list"><h2 id="h-list">${esc(t('proposals'))}（${v.proposals.length}）</h2>
    <div class="scroll"><table class="list" id="proposal-table"><thead><tr><th scope="col">#</th><th scope="col">${esc(t('f_title'))}</th><th scope="col">${esc(t('channel'))}</th><th scope="col">${esc(t('category'))}</th><th scope="col">${esc(t('investment'))}</th><th scope="col">${esc(t('receivedOn'))} / ${esc(t('recordedOn'))}</th><th scope="col">${esc(t('fate'))}</th></tr></thead>
    <tbody>${v.proposals.map((p) => `<tr id="p-${p.ref}" class="fate-${esc(p.fate.status)}">
      <td><a href="${href('/proposals/' + p.ref)}" data-link>${p.ref}</a></td>
      <td>${esc(p.title)}${p.merged ? `<br><small>${esc(t('sources'))}：${p.sources.map((s) => `<a href="${href('/proposals/' + s)}" data-link>#${s}</a>`).join(' ')}</small>` : ''}</td>
      <td>${esc(en(CHANNEL, p.channel))}</td><td>${esc(en(CATEGORY, p.category))}</td><td class="num">${esc(money(p.estimatedInvestment))}</td>
      <td class="dates">${esc(receivedRecorded(p))}</td>
      <td><strong>${esc(fateText(p.fate))}</strong><br><small>${fateDetail(p.fate)}</small></td></tr>`).join('')}</tbody></table></div>
    </section>`;
  const charts = await import('../charts.js');
  onLeave(charts.disposeAll);
  charts.funnel(document.getElementById('chart-funnel'), { label: t('funnel') + ': ' + steps.map(([k, n]) => `${k} ${n}`).join(', '), data: steps.map(([name, value]) => ({ name, value })) });
  charts.bars(document.getElementById('chart-channel'), {
    label: t('byChannel'), categories: channels.map(([k]) => en(CHANNEL, k)), horizontal: true,
    series: [{ name: t('submitted'), data: channels.map(([, x]) => x.submitted) }, { name: t('candidates'), data: channels.map(([, x]) => x.candidates) }, { name: t('elected'), data: channels.map(([, x]) => x.elected) }],
  });
  const cats = Object.entries(byCat).sort((a, b) => b[1] - a[1]);
  charts.bars(document.getElementById('chart-category'), { label: t('byCategory') + ': ' + cats.map(([k, n]) => `${en(CATEGORY, k)} ${n}`).join(', '), categories: cats.map(([k]) => en(CATEGORY, k)), horizontal: true, series: [{ name: t('proposals'), data: cats.map(([, n]) => n) }] });
}
