// 票决: candidates, boxes, approvals with the pass line, ranking, ties,
// further and void rounds, the certified tally beside the announcement, the
// in-browser recount, and live updates while boxes are recorded.
// Data: GET /v1/tally/V (and /v1/cycles/C/candidates); live: GET /v1/events.
import { t, lang } from '../i18n.js';
import { getJson, asOf, getList, staticSite } from '../api.js';
import { esc, money, date, backfillBadge, backfillNote } from '../format.js';
import { href, onLeave } from '../nav.js';
import { pinnedKey, verifyPanel, plain, keptCheckpoint, keepCheckpoint, witnessPolicyFor, witnessBlock } from '../verify/panel.js';

const LIVE_KINDS = new Set(['roundOpened', 'ballotBoxSealed', 'ballotBoxOpened', 'ballotsRecorded', 'tallyCertified', 'resultAnnounced', 'roundVoided', 'correction']);

function nameOf(round, item) {
  const it = round.recount.items.find((x) => x.item === item);
  return it ? it.name : '#' + item;
}

function outcomeList(round, items) {
  return items.length ? items.map((i) => esc(nameOf(round, i))).join('、') : esc(t('none'));
}

function roundSection(vote, r) {
  const sat = vote.purpose === 'satisfaction';
  const rc = r.recount;
  const head = `<h3 id="round-${r.ref}">${esc(t('round', { n: r.round }))} <small>#${r.ref} · ${esc(t('present'))} ${r.presentDeputies} · ${esc(t('seats'))} ${r.seats}${!sat && r.maxApprovals ? ` · <span class="max-approvals">${esc(t('maxApprovals', { n: r.maxApprovals }))}</span>` : ''}</small></h3>`;
  if (r.void) {
    return `<section class="round void" aria-labelledby="round-${r.ref}">${head}${voidBlock(r)}${boxTable(r)}</section>`;
  }
  // A box collected more than it issued and the round is not declared void
  // yet: nothing can be certified or announced in it (RULES.md "Voiding a
  // round").
  const mustVoid = r.mustBeVoided ? `<div class="must-void" role="note" id="must-void-${r.ref}"><p><strong>${esc(t('mustBeVoided'))}</strong></p>${overfullList(r)}</div>` : '';
  const cert = r.certified;
  const ann = r.announced;
  const side = `<div class="two compare">
    <div class="card"><h4>${esc(t('certified'))}</h4>${cert ? `<p>${esc(t('issued'))} ${cert.issued} · ${esc(t('collected'))} ${cert.collected} · ${esc(t('valid'))} ${cert.valid} · ${esc(t('invalid'))} ${cert.invalid}</p>
      <p>${(cert.certifiedBy || []).map(esc).join('、')} · <a href="${href('/records/' + cert.entry)}" data-link>#${cert.entry}</a></p><p class="${cert.matchesRecount ? 'good' : 'bad'}">${esc(cert.matchesRecount ? t('matches') : t('differs'))}</p>` : `<p>${esc(t('notYet'))}</p>`}</div>
    <div class="card"><h4>${esc(t('announcedBy'))}</h4>${ann ? `<p>${sat ? (ann.grades || []).map((g) => `${esc(nameOf(r, g.item))}：${esc(t(g.grade))}`).join('；') : `${esc(t('elected'))}：${outcomeList(r, ann.elected)}`}</p>
      ${ann.tiedAtCutoff?.length ? `<p>${esc(t('tie'))}：${outcomeList(r, ann.tiedAtCutoff)}</p>` : ''}${ann.vacantSeats ? `<p>${esc(t('vacant'))}：${ann.vacantSeats}</p>` : ''}
      <p>${esc(date(ann.announcedOn))} · <a href="${href('/records/' + ann.entry)}" data-link>#${ann.entry}</a></p><p class="${ann.matchesRecount ? 'good' : 'bad'}">${esc(ann.matchesRecount ? t('matches') : t('differs'))}</p>` : `<p>${esc(t('notYet'))}</p>`}</div></div>`;
  const itemsTable = sat
    ? `<table class="list"><thead><tr><th scope="col">${esc(t('projects'))}</th><th scope="col">${esc(t('satisfied'))}</th><th scope="col">${esc(t('basicallySatisfied'))}</th><th scope="col">${esc(t('unsatisfied'))}</th><th scope="col">${esc(t('abstain'))}</th><th scope="col">${esc(t('grade'))}</th></tr></thead><tbody>${rc.items.map((it) => `<tr><th scope="row">${esc(it.name)}</th><td class="num">${it.satisfied}</td><td class="num">${it.basicallySatisfied}</td><td class="num">${it.unsatisfied}</td><td class="num">${it.abstain}</td><td>${esc(t((rc.grades.find((g) => g.item === it.item) || {}).grade || 'notYet'))}</td></tr>`).join('')}</tbody></table>`
    : `<table class="list"><thead><tr><th scope="col">${esc(t('candidates'))}</th><th scope="col">${esc(t('approve'))}</th><th scope="col">${esc(t('oppose'))}</th><th scope="col">${esc(t('abstain'))}</th><th scope="col">${esc(t('fate'))}</th></tr></thead><tbody>${rc.items.map((it) => `<tr><th scope="row">${esc(it.name)}</th><td class="num">${it.approve}</td><td class="num">${it.oppose}</td><td class="num">${it.abstain}</td><td>${!r.complete ? '' : rc.elected.includes(it.item) ? `<strong>${esc(t('fate_elected'))}</strong>` : rc.tiedAtCutoff.includes(it.item) ? esc(t('tie')) : ''}</td></tr>`).join('')}</tbody></table>`;
  return `<section class="round" aria-labelledby="round-${r.ref}">${head}
    ${mustVoid}
    ${boxTable(r)}
    <p>${esc(t('valid'))} ${rc.valid} · ${esc(t('invalid'))} ${rc.invalid} · ${esc(t('passLine'))} ${rc.passThreshold}（${esc(t('base_' + rc.passBase.kind))} ${rc.passBase.value}）</p>
    <div class="chart tall" id="chart-${r.ref}"></div>
    ${itemsTable}
    ${!r.complete ? `<p class="warn" role="note">${esc(lang() === 'en' ? 'Counting is not complete: the numbers so far, no result yet.' : '计票尚未完成：以下为目前已登记的票数，尚无结果。')}</p>` : ''}
    ${r.complete && !sat && rc.ranking.length ? `<h4>${esc(t('ranking'))}</h4><ol class="ranking">${rc.ranking.map((x) => `<li${rc.elected.includes(x.item) ? ' class="elected"' : ''}>${esc(nameOf(r, x.item))} — ${x.approve}</li>`).join('')}</ol>` : ''}
    ${r.complete && rc.tiedAtCutoff.length ? `<p class="warn">${esc(t('tie'))}：${outcomeList(r, rc.tiedAtCutoff)}</p>` : ''}
    ${r.complete && rc.vacantSeats ? `<p class="warn">${esc(t('vacant'))}：${rc.vacantSeats}</p>` : ''}
    ${side}
    <p><button type="button" class="recount-btn" data-round="${r.ref}">${esc(t('recount_btn'))}</button></p>
    <div class="recount-result" id="recount-${r.ref}" role="status" aria-live="polite"></div>
  </section>`;
}

// The boxes that collected more ballots than they issued, told from their
// numbers in the page's language (the server's voidReason is English).
function overfullList(r) {
  const over = r.boxes.filter((b) => b.collectedExceedsIssued);
  return over.length ? `<ul>${over.map((b) => `<li>${esc(t('overfullBox', { box: b.label, issued: b.issued, collected: b.collected }))}</li>`).join('')}</ul>` : '';
}

// A round declared void (a roundVoided entry, RULES.md "Voiding a round"):
// who declared it, when and why, and the entry.
function voidBlock(r) {
  const v = r.voided;
  const reason = v?.reason || r.voidReason || '';
  const who = v?.by?.holder || (v?.by?.key ? v.by.key.slice(0, 16) : '');
  return `<div class="void-note" role="note" id="void-${r.ref}">
    <p class="bad"><strong>${esc(t('voidRoundDeclared'))}</strong>${v ? `：${esc(t('voided_by', { who, when: date(v.voidedOn || v.recordedOn) }))}` : ''}</p>
    ${reason ? `<p>${esc(t('voided_reason', { r: reason }))}</p>` : ''}
    ${v ? `<p><a href="${href('/records/' + v.entry)}" data-link>#${v.entry}</a></p>` : ''}
    ${r.boxes.some((b) => b.collectedExceedsIssued) ? `<p>${esc(t('voidRound'))}</p>` : ''}</div>`;
}

function boxTable(r) {
  return `<div class="scroll"><table class="list boxes"><caption>${esc(t('boxes'))}</caption><thead><tr><th scope="col">${esc(t('boxes'))}</th><th scope="col">${esc(t('issued'))}</th><th scope="col">${esc(t('collected'))}</th><th scope="col">${esc(t('valid'))}</th><th scope="col">${esc(t('invalid'))}</th><th scope="col">${esc(t('unreadable'))}</th></tr></thead>
  <tbody>${r.boxes.map((b) => `<tr${b.collectedExceedsIssued ? ' class="bad"' : ''}><th scope="row"><a href="${href('/records/' + b.ref)}" data-link>${esc(b.label)}</a></th><td class="num">${b.opened ? b.issued : '—'}</td><td class="num">${b.opened ? b.collected : '—'}</td><td class="num">${b.valid ?? '—'}</td><td class="num">${b.invalid ?? '—'}</td><td class="num">${b.unreadable ?? '—'}</td></tr>`).join('')}</tbody></table></div>`;
}

function describeDiffs(r) {
  return r.diffs.map((d) => `${d.what}: ${lang() === 'en' ? 'recounted' : '重新计票'} ${JSON.stringify(d.recounted)} ≠ ${lang() === 'en' ? 'published' : '公布'} ${JSON.stringify(d.published)}`);
}

async function runRecount(vote, round, out) {
  out.innerHTML = `<p>${esc(t('recount_running'))}</p>`;
  try {
    const p = await pinnedKey();
    const engine = await import('../verify/engine.js');
    const { recountFromLog, layout, newerNote } = engine;
    const get = (path) => getJson(path, { withAsOf: false });
    const witnesses = await witnessPolicyFor(engine);
    const r = await recountFromLog(vote.ref, round, { get, layout, pinnedKey: p.key, remembered: keptCheckpoint(p.key), witnesses });
    keepCheckpoint(r.vkey, r.checkpointNote, newerNote);
    const keyId = p.key ? p.key.split('+')[1] : ((await getJson('/v1/log', { withAsOf: false })).verifierKey || '').split('+')[1];
    const zh = lang() !== 'en';
    const what = zh
      ? `已从 ${r.entriesChecked} 条经签名检查点（树大小 ${r.size}，公钥 ${keyId}${p.key ? '' : '，未固定'}）证明包含、签名有效且签署者具有相应职权的原始记录中解码选票并按票决规则重新计票：有效 ${r.recount.valid}、无效 ${r.recount.invalid}。`
      : `Decoded the ballots from ${r.entriesChecked} raw entries proven in the signed checkpoint (tree size ${r.size}, key ${keyId}${p.key ? '' : ', not pinned'}) with valid signatures, and recounted them by the rules: valid ${r.recount.valid}, invalid ${r.recount.invalid}.`;
    const wb = witnessBlock(r.witnesses, `recount-witnesses-${round.ref}`);
    if (r.ok) out.innerHTML = `<p class="good"><strong>${esc(t('recount_ok'))}</strong></p><p>${esc(what)}</p>${wb}`;
    else out.innerHTML = `<p class="bad"><strong>${esc(t('recount_diff'))}</strong></p><ul>${describeDiffs(r).map((d) => `<li>${esc(d)}</li>`).join('')}</ul><p>${esc(what)}</p>${wb}`;
    out.dataset.result = r.ok ? 'ok' : 'differs';
  } catch (e) {
    out.innerHTML = `<p class="bad"><strong>${esc(t('verify_fail'))}</strong>：${esc(plain(e.message))}</p>${e.witnesses ? witnessBlock(e.witnesses, `recount-witnesses-${round.ref}`) : ''}`;
    out.dataset.result = 'fail';
  }
}

export async function votePage(main, voteRef) {
  let charts = null;
  const draw = async () => {
    const v = await getJson(`/v1/tally/${voteRef}`);
    const vote = v.vote;
    const sat = vote.purpose === 'satisfaction';
    const [cands, cycles] = await Promise.all([
      !sat ? getList(`/v1/cycles/${vote.cycle}/candidates`, 'candidates').catch(() => null) : null,
      getList('/v1/cycles', 'cycles').catch(() => null),
    ]);
    const cycle = cycles ? cycles.cycles.find((c) => c.ref === vote.cycle) : null;
    const rulesLine = `${esc(t('seats'))} ${vote.seats} · ${esc(t('extra'))} ${vote.extraCandidates} · ${esc(t('entitled'))} ${vote.entitledDeputies} · ${esc(t('quorum'))} > ${esc(vote.quorum)} · ${esc(t('passLine'))}：${esc(t('base_' + vote.passBase))}${lang() === 'en' ? ': more than half' : '过半'} · ${esc(date(vote.adoptedOn))}`;
    main.innerHTML = `<h1>${esc(sat ? t('satisfaction') : t('vote_title'))}${vote.revoteReason ? `（${esc(t('revote'))}）` : ''} <small>#${vote.ref}</small>${backfillBadge(cycle)}</h1>
      ${cycle ? `<p class="meta"><a href="${href('/cycles/' + cycle.ref + '/proposals')}" data-link>${esc(cycle.title)}</a></p>` : ''}
      ${backfillNote(cycle)}
      ${vote.revoteReason ? `<p class="revote" id="revote-reason"><strong>${esc(t('revoteReason'))}</strong>：${esc(vote.revoteReason)}</p>` : ''}
      <p class="meta">${sat ? '' : rulesLine}</p>
      ${vote.text ? `<details><summary>${lang() === 'en' ? 'Voting rules' : '票决办法'}</summary><p>${esc(vote.text)}</p></details>` : ''}
      <p class="live" id="live" aria-live="polite"></p>
      ${cands && cands.candidates.length ? `<section aria-labelledby="h-cands"><h2 id="h-cands">${esc(t('candidates'))}（${cands.candidates.length}）</h2><div class="scroll"><table class="list"><thead><tr><th scope="col">#</th><th scope="col">${esc(t('f_title'))}</th><th scope="col">${esc(t('agency'))}</th><th scope="col">${esc(t('investment'))}</th></tr></thead>
        <tbody>${cands.candidates.map((c) => `<tr${c.elected ? ' class="elected"' : ''}><td>${c.position}</td><td><a href="${href('/proposals/' + c.proposal)}" data-link>${esc(c.name)}</a>${c.elected ? ` <strong>（${esc(t('fate_elected'))}）</strong>` : ''}</td><td>${esc(c.implementingAgency)}</td><td class="num">${esc(money(c.investment))}</td></tr>`).join('')}</tbody></table></div></section>` : ''}
      <section aria-labelledby="h-rounds"><h2 id="h-rounds">${esc(t('rounds'))}（${v.rounds.length}）</h2>${v.rounds.map((r) => roundSection(vote, r)).join('') || `<p>${esc(t('notYet'))}</p>`}</section>
      <div id="verify-slot"></div>`;
    for (const btn of main.querySelectorAll('.recount-btn')) {
      btn.onclick = () => {
        const r = v.rounds.find((x) => x.ref === Number(btn.dataset.round));
        runRecount(vote, r, document.getElementById('recount-' + r.ref));
      };
    }
    verifyPanel(document.getElementById('verify-slot'), voteRef, []);
    if (!charts) { charts = await import('../charts.js'); onLeave(charts.disposeAll); }
    charts.disposeAll();
    for (const r of v.rounds) {
      const el = document.getElementById('chart-' + r.ref);
      if (!el) continue;
      const rc = r.recount;
      const names = rc.items.map((i) => i.name);
      if (sat) {
        charts.bars(el, { label: t('satisfaction'), categories: names, horizontal: true, stack: true, series: [
          { name: t('satisfied'), data: rc.items.map((i) => i.satisfied), color: '#2e7d32' },
          { name: t('basicallySatisfied'), data: rc.items.map((i) => i.basicallySatisfied), color: '#9ccc65' },
          { name: t('unsatisfied'), data: rc.items.map((i) => i.unsatisfied), color: '#c62828' },
          { name: t('abstain'), data: rc.items.map((i) => i.abstain), color: '#9e9e9e' }] });
      } else {
        charts.bars(el, { label: `${t('approve')}: ` + rc.items.map((i) => `${i.name} ${i.approve}`).join(', ') + `; ${t('passLine')} ${rc.passThreshold}`,
          categories: names, horizontal: true, max: Math.max(vote.entitledDeputies, ...rc.items.map((i) => i.approve)),
          line: { value: rc.passThreshold, label: `${t('passLine')} ${rc.passThreshold}` },
          series: [{ name: t('approve'), data: rc.items.map((i) => ({ value: i.approve, itemStyle: { color: !r.complete ? '#90a4ae' : rc.elected.includes(i.item) ? '#b71c1c' : rc.tiedAtCutoff.includes(i.item) ? '#ef6c00' : '#90a4ae' } })) }] });
      }
    }
  };
  await draw();
  // Live: only for the current state (a past moment does not change).
  if (!asOf() && !staticSite() && typeof EventSource !== 'undefined') {
    const live = document.getElementById('live');
    const es = new EventSource('/v1/events');
    let timer = null;
    const setLive = (on) => { const l = document.getElementById('live'); if (l) l.textContent = `● ${t('live')}：${t(on ? 'live_on' : 'live_off')}`; };
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    es.addEventListener('entry', (ev) => {
      let kind = null;
      try { kind = JSON.parse(ev.data).kind; } catch {}
      if (!LIVE_KINDS.has(kind)) return;
      clearTimeout(timer);
      timer = setTimeout(() => draw().then(() => setLive(true)), 300);
    });
    onLeave(() => { es.close(); clearTimeout(timer); });
    if (live) setLive(false);
  }
}
