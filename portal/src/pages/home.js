// 首页: every jurisdiction and year, each cycle's six-step timeline and its
// headline numbers. Data: GET /v1/cycles (one request; a plain file in a
// static publication).
import { t, lang } from '../i18n.js';
import { getJson, getList } from '../api.js';
import { esc, money, date, backfillBadge, backfillNote } from '../format.js';
import { href } from '../nav.js';

// Where a cycle stands among the six steps (0-based index of the current
// step; 6 = all done).
export function stepIndex(c) {
  switch (c.stage) {
    case 'collection': return 0;
    case 'screening': return 1;
    case 'vote': return c.selectionVote ? 3 : 2;
    case 'supervision': return 4;
    case 'evaluation': return 5;
    case 'closed': return 6;
    default: return 0;
  }
}

export function timeline(c) {
  const at = stepIndex(c);
  const steps = t('steps');
  return `<ol class="timeline" aria-label="${esc(t('stage_now'))}">${steps.map((s, i) => {
    const cls = i < at ? 'done' : i === at ? 'now' : 'todo';
    const state = i < at ? (lang() === 'en' ? 'done' : '已完成') : i === at ? (lang() === 'en' ? 'current' : '进行中') : (lang() === 'en' ? 'to come' : '未开始');
    return `<li class="${cls}"${i === at ? ' aria-current="step"' : ''}><span class="dot" aria-hidden="true">${i + 1}</span><span class="lbl">${esc(s)}</span><span class="sr">${esc(state)}</span></li>`;
  }).join('')}</ol>`;
}

export function cycleLinks(c) {
  const links = [[`/cycles/${c.ref}/proposals`, 'go_proposals']];
  if (c.selectionVote) links.push([`/votes/${c.selectionVote}`, 'go_vote']);
  if (c.counts.elected > 0) links.push([`/cycles/${c.ref}/supervision`, 'go_supervision'], [`/cycles/${c.ref}/evaluation`, 'go_evaluation']);
  if (c.selectionVote) links.push([`/cycles/${c.ref}/notice`, 'go_notice']);
  links.push([`/records/${c.ref}`, 'go_record']);
  return `<ul class="links">${links.map(([p, k]) => `<li><a href="${href(p)}" data-link>${esc(t(k))}</a></li>`).join('')}</ul>`;
}

function cycleCard(c) {
  const n = c.counts;
  return `<article class="card cycle" id="cycle-${c.ref}">
    <h3>${esc(c.title)}${backfillBadge(c)}</h3>
    ${backfillNote(c)}
    <p class="meta">${esc(t('year'))} ${c.year} · ${esc(t('budget'))} ${esc(money(c.budget))} · ${esc(date(c.collection.start))} – ${esc(date(c.collection.end))}</p>
    <p class="stage">${esc(t('stage_now'))}：<strong>${esc(t('step_' + c.stage))}</strong></p>
    ${timeline(c)}
    <dl class="numbers">
      <div><dt>${esc(t('proposals'))}</dt><dd>${n.proposals}</dd></div>
      <div><dt>${esc(t('merges'))}</dt><dd>${n.merges}</dd></div>
      <div><dt>${esc(t('rejected'))}</dt><dd>${n.rejected}</dd></div>
      <div><dt>${esc(t('candidates'))}</dt><dd>${n.candidates}</dd></div>
      <div><dt>${esc(t('elected'))}</dt><dd>${n.elected}</dd></div>
      <div><dt>${esc(t('plannedProjects'))}</dt><dd>${c.projectCount}</dd></div>
    </dl>
    ${cycleLinks(c)}
  </article>`;
}

export async function homePage(main) {
  const v = await getList('/v1/cycles', 'cycles');
  // Group by jurisdiction: counties first, each followed by its townships.
  const groups = new Map();
  for (const c of v.cycles) {
    const key = c.jurisdiction.code;
    if (!groups.has(key)) groups.set(key, { j: c.jurisdiction, cycles: [] });
    groups.get(key).cycles.push(c);
  }
  const ordered = [...groups.values()].sort((a, b) => {
    const ka = a.j.level === 'county' ? a.j.code : (a.j.parent || '') + '/' + a.j.code;
    const kb = b.j.level === 'county' ? b.j.code : (b.j.parent || '') + '/' + b.j.code;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  main.innerHTML = `<h1>${esc(t('nav_home'))}</h1><p class="intro">${esc(t('home_intro'))}</p>
    ${ordered.map((g) => `<section class="jurisdiction" aria-labelledby="j-${esc(g.j.code)}">
      <h2 id="j-${esc(g.j.code)}">${esc(g.j.name)} <small>${esc(t(g.j.level))} · ${esc(g.j.code)}</small></h2>
      ${g.cycles.sort((a, b) => b.year - a.year).map(cycleCard).join('')}
    </section>`).join('') || `<p>${esc(t('none'))}</p>`}`;
}
