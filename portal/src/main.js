// The portal's shell: header (navigation, language, as-of control), client
// routing on real paths (the server answers index.html for any page path),
// and the page modules. docs/PORTAL.md lists the pages.
import './style.css';
import * as i18n from './i18n.js';
import * as api from './api.js';
import * as format from './format.js';
import * as nav from './nav.js';
import * as home from './pages/home.js';

// The shell's modules, for the pages loaded later: their imports of these
// modules read this one instance (portal/build.mjs), so they share the
// language, the router and the cleanups with the shell.
globalThis.__piaojueShell = { 'i18n.js': i18n, 'api.js': api, 'format.js': format, 'nav.js': nav, 'pages/home.js': home };

const { t, lang, setLang } = i18n;
const { asOf, getJson, staticSite, dynamicUrl, fileUrl } = api;
const { esc, date } = format;
const { href, navigate, setRenderer, cleanup } = nav;
const { homePage } = home;

// The first page (首页) is in the shell, inline in index.html; every other
// page is its own chunk, loaded when visited.
const lazy = (load, name) => async (...args) => (await load())[name](...args);
const proposalsPage = lazy(() => import('./pages/proposals.js'), 'proposalsPage');
const lookupPage = lazy(() => import('./pages/lookup.js'), 'lookupPage');
const storyPage = lazy(() => import('./pages/lookup.js'), 'storyPage');
const votePage = lazy(() => import('./pages/vote.js'), 'votePage');
const supervisionPage = lazy(() => import('./pages/supervision.js'), 'supervisionPage');
const evaluationPage = lazy(() => import('./pages/evaluation.js'), 'evaluationPage');
const recordPage = lazy(() => import('./pages/record.js'), 'recordPage');
const changesPage = lazy(() => import('./pages/changes.js'), 'changesPage');
const correctionsPage = lazy(() => import('./pages/changes.js'), 'correctionsPage');
const noticePage = lazy(() => import('./pages/notice.js'), 'noticePage');
const proposePage = lazy(() => import('./pages/propose.js'), 'proposePage');
const aboutPage = lazy(() => import('./pages/about.js'), 'aboutPage');

const routes = [
  [/^\/$/, homePage],
  [/^\/cycles\/(\d+)\/proposals$/, proposalsPage],
  [/^\/cycles\/(\d+)\/supervision$/, supervisionPage],
  [/^\/cycles\/(\d+)\/evaluation$/, evaluationPage],
  [/^\/cycles\/(\d+)\/notice$/, noticePage],
  [/^\/votes\/(\d+)$/, votePage],
  [/^\/lookup$/, lookupPage],
  [/^\/proposals\/(\d+)$/, storyPage],
  [/^\/records\/(\d+)$/, recordPage],
  [/^\/verify\/(\d+)$/, (main, ref) => recordPage(main, ref, { autoVerify: true })],
  [/^\/changes$/, changesPage],
  [/^\/corrections$/, correctionsPage],
  [/^\/propose$/, proposePage],
  [/^\/about$/, aboutPage],
];

function header() {
  const a = asOf();
  // A static site (docs/DEPLOY.md) has no search, form, what-changed or
  // time travel: those link to the live server when there is one.
  const live = new Set(['/lookup', '/propose', '/changes']);
  const isStatic = !!staticSite();
  const nav = [['/', 'nav_home'], ['/lookup', 'nav_lookup'], ['/propose', 'nav_propose'], ['/changes', 'nav_changes'], ['/corrections', 'nav_corrections'], ['/about', 'nav_about']]
    .filter(([p]) => !isStatic || !live.has(p) || dynamicUrl());
  const link = (p) => (isStatic && live.has(p) ? `href="${esc(dynamicUrl() + p)}"` : `href="${href(p)}" data-link`);
  const here = location.pathname;
  document.getElementById('top').innerHTML = `
    <div class="brand"><a href="${href('/')}" data-link><span class="logo" aria-hidden="true">✓</span><span><strong id="site-name">${esc(t('site'))}</strong><small>${esc(t('siteSub'))}</small></span></a>
      <button type="button" id="lang" class="linkish" lang="${lang() === 'en' ? 'zh-CN' : 'en'}">${esc(t('lang_switch'))}</button></div>
    <nav aria-label="${esc(lang() === 'en' ? 'Main' : '主导航')}"><ul>${nav.map(([p, k]) => `<li><a ${link(p)}${here === p ? ' aria-current="page"' : ''}>${esc(t(k))}</a></li>`).join('')}</ul></nav>
    ${isStatic ? (dynamicUrl() ? `<p class="asof"><a id="asof-live" href="${esc(dynamicUrl() + location.pathname)}">${esc(t('asOf'))}…</a></p>` : '') : `<form id="asof" class="asof" role="search" aria-label="${esc(t('asOf'))}">
      <label for="asof-date">${esc(t('asOf'))}</label>
      <input id="asof-date" name="as_of" type="date" value="${esc(/^\d{4}-\d{2}-\d{2}$/.test(a) ? a : '')}">
      <button type="submit">${esc(t('asOfApply'))}</button>
      ${a ? `<button type="button" id="asof-clear">${esc(t('asOfClear'))}</button>` : ''}
    </form>`}
    ${a ? `<p class="banner" role="status" id="asof-banner">${esc(t('asOfBanner', { d: /^\d+$/.test(a) ? '#' + a : date(a.slice(0, 10)), n: '…' }))}</p>` : ''}`;
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  document.getElementById('lang').onclick = () => { setLang(lang() === 'en' ? 'zh' : 'en'); const u = new URL(location.href); u.searchParams.delete('lang'); history.replaceState(null, '', u); render(); };
  const form = document.getElementById('asof');
  if (form) form.onsubmit = (e) => {
    e.preventDefault();
    const v = document.getElementById('asof-date').value;
    const u = new URL(location.href);
    if (v) u.searchParams.set('as_of', v); else u.searchParams.delete('as_of');
    navigate(u.pathname + u.search);
  };
  const clear = document.getElementById('asof-clear');
  if (clear) clear.onclick = () => { const u = new URL(location.href); u.searchParams.delete('as_of'); navigate(u.pathname + u.search); };
  if (a) {
    getJson('/v1/cycles?limit=1').then((v) => {
      const b = document.getElementById('asof-banner');
      if (b) b.textContent = t('asOfBanner', { d: /^\d+$/.test(a) ? '#' + a : date(v.asOf), n: v.size });
    }).catch(() => {});
  }
}

function footer() {
  document.getElementById('foot').innerHTML = `<p>${esc(t('home_intro'))}</p><p><a href="${fileUrl('/v1/log')}">/v1/log</a> · <a href="/tlog/checkpoint">/tlog/checkpoint</a> · <a href="${href('/about')}" data-link>${esc(t('nav_about'))}</a></p>`;
}

async function render() {
  for (const fn of cleanup.splice(0)) { try { fn(); } catch {} }
  header();
  footer();
  const main = document.getElementById('main');
  main.innerHTML = `<p class="loading">${esc(t('loading'))}</p>`;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  for (const [re, page] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    try {
      await page(main, ...m.slice(1).map(Number));
    } catch (e) {
      main.innerHTML = `<div class="error" role="alert"><h1>${esc(t('error'))}</h1><p>${esc(e.message)}</p></div>`;
    }
    // Scrollable tables and blocks can be reached and scrolled by keyboard.
    for (const el of main.querySelectorAll('.scroll, pre.json')) el.tabIndex = 0;
    const h1 = main.querySelector('h1');
    document.title = (h1 ? h1.textContent + ' · ' : '') + t('site');
    return;
  }
  main.innerHTML = `<h1>${esc(t('notFound'))}</h1><p><a href="${href('/')}" data-link>${esc(t('nav_home'))}</a></p>`;
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || a.target) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
  document.getElementById('main').focus({ preventScroll: true });
  window.scrollTo(0, 0);
});
window.addEventListener('popstate', render);
setRenderer(render);
lang();
render();
