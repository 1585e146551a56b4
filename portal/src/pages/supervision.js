// 监督: each project's plan, agency, progress against the milestone line,
// late flags, inspections, supervision notices, force-majeure adjustments
// with their legal basis, acceptance. Data: GET /v1/cycles/C/projects.
import { t } from '../i18n.js';
import { getJson, getList } from '../api.js';
import { esc, money, date, percent, backfillBadge, backfillNote } from '../format.js';
import { href, onLeave } from '../nav.js';

const ms = (d) => Date.parse(d + 'T00:00:00+08:00');

function projectSection(p) {
  const plan = p.plan;
  const sup = p.supervision;
  const last = p.progress.length ? p.progress[p.progress.length - 1] : null;
  return `<section class="card project" id="project-${p.ref}" aria-labelledby="ph-${p.ref}">
    <h2 id="ph-${p.ref}">${esc(p.name)} <small><a href="${href('/records/' + p.ref)}" data-link>#${p.ref}</a></small></h2>
    <p>${esc(t('progress'))}：<strong class="status-${esc(p.status)}">${esc(t('ps_' + p.status))}</strong>${last ? ` · ${esc(percent(last.percentBp))}（${esc(date(last.asOf))}）· ${esc(money(last.spent))}` : ''}</p>
    ${plan ? `<dl class="facts"><div><dt>${esc(t('agency'))}</dt><dd>${esc(plan.agency)}</dd></div><div><dt>${esc(t('leader'))}</dt><dd>${esc(plan.responsibleLeader)}</dd></div><div><dt>${esc(t('budget'))}</dt><dd>${esc(money(plan.budget))}</dd></div></dl><p>${esc(plan.plan)}</p>` : `<p>${esc(t('ps_notPlanned'))}</p>`}
    <div class="chart short" id="pchart-${p.ref}"></div>
    <div class="scroll"><table class="list"><caption>${esc(t('milestones'))}</caption><thead><tr><th scope="col">${esc(t('milestones'))}</th><th scope="col">${lang('due')}</th><th scope="col">%</th><th scope="col">${esc(t('fate'))}</th></tr></thead>
    <tbody>${p.milestones.map((m) => `<tr><td>${esc(m.label)}</td><td>${esc(date(m.due))}</td><td class="num">${esc(percent(m.minPercentBp))}</td><td class="${m.status === 'missed' ? 'bad' : m.status === 'met' ? 'good' : ''}">${esc(t('ms_' + m.status))}${m.judgedEntry ? ` <a href="${href('/records/' + m.judgedEntry)}" data-link>#${m.judgedEntry}</a>` : ''}</td></tr>`).join('')}</tbody></table></div>
    ${p.progress.length ? `<details><summary>${esc(t('progress'))}（${p.progress.length}）</summary><ul>${p.progress.map((r) => `<li>${esc(date(r.asOf))}：${esc(percent(r.percentBp))} · ${esc(money(r.spent))} — ${esc(r.narrative)} <a href="${href('/records/' + r.entry)}" data-link>#${r.entry}</a>${r.corrections.length ? ` (${esc(t('corrections'))} ${r.corrections.map((c) => '#' + c).join(' ')})` : ''}</li>`).join('')}</ul></details>` : ''}
    ${sup.inspections.length ? `<h3>${esc(t('inspections'))}</h3><ul>${sup.inspections.map((i) => `<li>${esc(date(i.inspectedOn))} ${esc(i.group)}：${esc(i.findings)} <a href="${href('/records/' + i.ref)}" data-link>#${i.ref}</a></li>`).join('')}</ul>` : ''}
    ${sup.notices.length ? `<h3>${esc(t('notices'))}</h3><ul>${sup.notices.map((n) => `<li>${esc(date(n.issuedOn))}（${esc(date(n.dueBy))}）：${esc(n.text)} <a href="${href('/records/' + n.entry)}" data-link>#${n.entry}</a></li>`).join('')}</ul>` : ''}
    ${sup.adjustments.length ? `<h3>${esc(t('adjustments'))}</h3><ul>${sup.adjustments.map((a) => `<li><strong>${esc(a.kind)}</strong> ${esc(date(a.decidedOn))}：${esc(a.forceMajeure)}；${esc(t('legalBasis'))}：${esc(a.legalBasis)}；${esc(a.decision)}${a.newBudget ? `；${esc(money(a.newBudget))}` : ''}${a.newCompletion ? `；→ ${esc(date(a.newCompletion))}` : ''} <a href="${href('/records/' + a.entry)}" data-link>#${a.entry}</a></li>`).join('')}</ul>` : ''}
    ${sup.acceptances.length ? `<h3>${esc(t('acceptance'))}</h3><ul>${sup.acceptances.map((a) => `<li>${esc(date(a.acceptedOn))}：${a.passed ? '✓' : '✗'} ${esc(a.notes)} <a href="${href('/records/' + a.entry)}" data-link>#${a.entry}</a></li>`).join('')}</ul>` : ''}
  </section>`;
}

function lang(k) { return k === 'due' ? (document.documentElement.lang === 'en' ? 'Due' : '时限') : k; }

export async function supervisionPage(main, cycle) {
  const [v, cycles] = await Promise.all([getList(`/v1/cycles/${cycle}/projects`, 'projects'), getList('/v1/cycles', 'cycles').catch(() => null)]);
  const c = cycles ? cycles.cycles.find((x) => x.ref === cycle) : null;
  const late = v.projects.filter((p) => p.status === 'late').length;
  main.innerHTML = `<h1>${esc(t('supervision_title'))}${c ? `：${esc(c.title)}` : ''} <small>#${cycle} · ${esc(date(v.asOf))}</small>${backfillBadge(c)}</h1>
    ${backfillNote(c)}
    <p>${esc(t('projects'))} ${v.projects.length} · ${esc(t('late'))} <strong class="${late ? 'status-late' : ''}">${late}</strong> · <a href="${href(`/cycles/${cycle}/evaluation`)}" data-link>${esc(t('evaluation_title'))}</a></p>
    ${v.projects.map(projectSection).join('') || `<p>${esc(t('none'))}</p>`}`;
  const charts = await import('../charts.js');
  onLeave(charts.disposeAll);
  for (const p of v.projects) {
    const el = document.getElementById('pchart-' + p.ref);
    if (!el) continue;
    const line = p.milestones.map((m) => [ms(m.due), m.minPercentBp / 100]);
    const prog = p.progress.map((r) => [ms(r.asOf), r.percentBp / 100]);
    charts.lines(el, { label: `${p.name}: ${t('progress')} ` + p.progress.map((r) => `${r.asOf} ${r.percentBp / 100}%`).join(', '),
      series: [{ name: t('progress'), data: prog }, { name: t('milestones'), data: line, step: true, dashed: true }] });
  }
}
