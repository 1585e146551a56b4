// 公告: a printable A4 notice of a cycle's vote result and satisfaction
// results for 张榜公布, with a QR code to the record's verification page
// that carries the published verifier key.
import { t, lang } from '../i18n.js';
import { getJson, portalConfig, getList } from '../api.js';
import { esc, money, date, backfillNote } from '../format.js';
import { href } from '../nav.js';

export async function noticePage(main, cycle) {
  const [cycles, log, cfg] = await Promise.all([getList('/v1/cycles', 'cycles'), getJson('/v1/log', { withAsOf: false }), portalConfig()]);
  const c = cycles.cycles.find((x) => x.ref === cycle);
  if (!c) throw new Error(`#${cycle}?`);
  const vkey = cfg.verifierKey || log.verifierKey;
  const base = cfg.url || location.origin;
  const pages = [];
  const zh = lang() !== 'en';
  const cands = await getList(`/v1/cycles/${cycle}/candidates`, 'candidates');
  const byProposal = new Map(cands.candidates.map((x) => [x.proposal, x]));
  if (c.selectionVote) {
    const tv = await getJson(`/v1/tally/${c.selectionVote}`);
    const rounds = tv.rounds.filter((r) => r.announced);
    const elected = [];
    for (const r of rounds) for (const i of r.announced.elected) elected.push({ item: i, round: r });
    const first = rounds[0];
    const last = rounds[rounds.length - 1];
    pages.push({ ref: c.selectionVote, title: zh ? `${c.title}票决结果公告` : `${c.title}: result of the vote`, body: `
      <p>${zh ? `${esc(date(last?.announced.announcedOn))}，经到会代表无记名投票，${first ? `应到代表 ${tv.vote.entitledDeputies} 名，实到 ${first.presentDeputies} 名，` : ''}从 ${cands.candidates.length} 个候选项目中票决产生 ${elected.length} 个民生实事项目（应选 ${tv.vote.seats} 个），大会主席团现予公布：` : `On ${esc(date(last?.announced.announcedOn))} the deputies elected ${elected.length} of ${cands.candidates.length} candidates (${tv.vote.seats} seats) by secret ballot; the presidium announces:`}</p>
      <table class="list"><thead><tr><th scope="col">${zh ? '序号' : 'No.'}</th><th scope="col">${esc(t('f_title'))}</th><th scope="col">${esc(t('agency'))}</th><th scope="col">${esc(t('investment'))}</th><th scope="col">${esc(t('approve'))}</th></tr></thead>
      <tbody>${elected.map((e, i) => { const cd = byProposal.get(e.item) || {}; const it = e.round.recount.items.find((x) => x.item === e.item) || {}; return `<tr><td>${i + 1}</td><td>${esc(cd.name || it.name)}</td><td>${esc(cd.implementingAgency || '')}</td><td class="num">${esc(money(cd.investment))}</td><td class="num">${it.approve ?? ''}</td></tr>`; }).join('')}</tbody></table>` });
  }
  for (const ref of c.votes.filter((r) => r !== c.selectionVote)) {
    const tv = await getJson(`/v1/tally/${ref}`);
    if (tv.vote.purpose !== 'satisfaction') continue;
    const r = tv.rounds.filter((x) => x.announced).pop();
    if (!r) continue;
    pages.push({ ref, title: zh ? `${c.title}满意度测评结果公告` : `${c.title}: satisfaction results`, body: `
      <p>${zh ? `${esc(date(r.announced.announcedOn))}，代表对 ${r.recount.items.length} 个项目进行满意度测评${tv.vote.revoteReason ? `（重新测评，理由：${esc(tv.vote.revoteReason)}）` : ''}，大会主席团公布结果如下：` : `Satisfaction vote of ${esc(date(r.announced.announcedOn))}${tv.vote.revoteReason ? ` (a re-vote: ${esc(tv.vote.revoteReason)})` : ''}, announced by the presidium:`}</p>
      <table class="list"><thead><tr><th scope="col">${esc(t('projects'))}</th><th scope="col">${esc(t('satisfied'))}</th><th scope="col">${esc(t('basicallySatisfied'))}</th><th scope="col">${esc(t('unsatisfied'))}</th><th scope="col">${esc(t('abstain'))}</th><th scope="col">${esc(t('grade'))}</th></tr></thead>
      <tbody>${r.recount.items.map((it) => `<tr><td>${esc(it.name)}</td><td class="num">${it.satisfied}</td><td class="num">${it.basicallySatisfied}</td><td class="num">${it.unsatisfied}</td><td class="num">${it.abstain}</td><td><strong>${esc(t((r.announced.grades.find((g) => g.item === it.item) || {}).grade || ''))}</strong></td></tr>`).join('')}</tbody></table>` });
  }
  const { default: qrcode } = await import('qrcode-generator');
  const qrFor = (ref) => {
    const url = `${base}/verify/${ref}?vkey=${encodeURIComponent(vkey)}`;
    const q = qrcode(0, 'M');
    q.addData(url);
    q.make();
    return { url, img: q.createDataURL(4, 2) };
  };
  const signer = cfg.name || c.jurisdiction.name;
  main.innerHTML = `<p class="no-print"><button type="button" id="print-btn">${esc(t('print'))}</button> <a href="${href('/')}" data-link>${esc(t('nav_home'))}</a></p>
    ${pages.map((p) => { const q = qrFor(p.ref); return `<article class="notice notice-page" id="notice-${p.ref}"><h1>${esc(zh ? '公　告' : 'Public notice')}</h1><h2>${esc(p.title)}${c.backfill ? `（${esc(t('backfill'))}）` : ''}</h2>${backfillNote(c)}${p.body}
      <p class="sign">${esc(signer)}<br>${esc(date(new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)))}</p>
      <div class="qr"><img src="${q.img}" alt="${esc(t('notice_scan'))}: ${esc(q.url)}"><div><strong>${esc(t('notice_scan'))}</strong><br><small>${esc(q.url)}</small><br><small>${esc(t('vkey'))}：<code>${esc(vkey)}</code></small><br><small>${zh ? '记录编号' : 'Record'} #${p.ref} · ${zh ? '日志条数' : 'log size'} ${log.size}</small></div></div></article>`; }).join('') || `<p>${esc(t('notYet'))}</p>`}`;
  document.getElementById('print-btn').onclick = () => window.print();
}
