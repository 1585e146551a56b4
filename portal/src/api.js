// Reads of the piaojue API (docs/API.md). Every read of a view carries the
import { completeBundle } from './verify/tiles.js';
// portal's as-of moment, so the whole portal shows one past state.
export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

// A static publication (`piaojue publish`, docs/DEPLOY.md) marks its
// index.html with {"static": true, "dynamicUrl"?} in a JSON block: every
// read is then a plain file, and what needs a live server (time travel,
// search, what changed, the form, live updates) is hidden or links to
// dynamicUrl.
let staticConfig;
export function staticSite() {
  if (staticConfig === undefined) {
    staticConfig = null;
    const el = typeof document !== 'undefined' && document.getElementById('piaojue-static');
    if (el) { try { staticConfig = JSON.parse(el.textContent); } catch { staticConfig = { static: true }; } }
  }
  return staticConfig && staticConfig.static ? staticConfig : null;
}
// The live server's public URL of a static site ('' if none), without a
// trailing slash; only http(s) URLs are used.
export function dynamicUrl() {
  const u = staticSite()?.dynamicUrl || '';
  return /^https?:\/\//.test(u) ? u.replace(/\/+$/, '') : '';
}

// Where a read of the JSON API is: the path itself on the live server; on a
// static site, the file `piaojue publish` wrote for it (path + ".json").
// A static site has no file for a read with a query string.
export function fileUrl(path) {
  if (!staticSite() || !path.startsWith('/v1/')) return path;
  if (path.includes('?')) return null;
  return path + '.json';
}

export function asOf() {
  if (staticSite()) return '';  // a static site shows the published state only
  return new URLSearchParams(location.search).get('as_of') || '';
}

export class NeedsLiveServer extends ApiError {
  constructor(path) {
    const live = dynamicUrl();
    const en = typeof document !== 'undefined' && document.documentElement.lang === 'en';
    super(0, 'static', (en
      ? 'This part needs the live server; this site is a static copy.'
      : '此功能需要在线服务器，本站是静态发布的副本。') + (live ? ' ' + live : ''));
    this.path = path;
  }
}

// Views `piaojue serve` put into the page it served (the first page's data,
// so that it needs no second round trip; api/server/handlers_portal.cc):
// {"<the URL getJson would fetch>": <its JSON>}. Each is used once, by the
// first read of that URL; later reads fetch fresh data.
let initial = null;
function takeInitial(url) {
  if (initial === null) {
    initial = {};
    const el = typeof document !== 'undefined' && document.getElementById('piaojue-data');
    if (el) {
      try { initial = JSON.parse(el.textContent) || {}; } catch { initial = {}; }
      el.remove();
    }
  }
  if (!Object.prototype.hasOwnProperty.call(initial, url)) return undefined;
  const v = initial[url];
  delete initial[url];
  return v;
}

export async function getJson(path, { withAsOf = true } = {}) {
  let url = path;
  const a = asOf();
  if (withAsOf && a) url += (url.includes('?') ? '&' : '?') + 'as_of=' + encodeURIComponent(a);
  const given = takeInitial(url);
  if (given !== undefined) return given;
  if (staticSite()) return getStatic(url);
  return fetchJson(url);
}

async function fetchJson(url) {
  const r = await fetch(url);
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body?.error?.code ?? 'http', body?.error?.message ?? `HTTP ${r.status}`);
  return body;
}

// A read on a static site. A proof bundle is the bundle's file, which may
// prove against an older checkpoint than the published one (`piaojue
// publish` keeps a bundle while its record's trail is unchanged): its
// proofs are completed to the published checkpoint from the tiles
// (verify/tiles.js; checked like any bundle afterwards). Asked for with
// ?since=M (the tree size this browser kept), the consistency proof
// `piaojue publish` wrote from every tree size it published before is put
// into the bundle as the server would (docs/FORMAT.md "Proof bundle");
// without that file the bundle goes without it, and the check says the
// log could not be shown to have only grown.
async function getStatic(url) {
  const since = /^(\/v1\/proof\/bundle\/\d+)(?:\?since=(\d+))?$/.exec(url);
  if (since) {
    let bundle = await fetchJson(since[1] + '.json');
    try {
      const note = await getText('/tlog/checkpoint');
      bundle = await completeBundle(bundle, note, fetchBytes);
    } catch {
      // Tiles missing: the bundle as published (valid for its own checkpoint).
    }
    if (since[2] === undefined) return bundle;
    const m = Number(since[2]);
    const n = Number((/^[^\n]+\n(\d+)\n/.exec(bundle.checkpoint || '') || [])[1]);
    if (m !== n && Array.isArray(bundle.consistency)) {
      const c = await fetchJson(`/v1/proof/consistency/${m}.json`).catch(() => null);
      if (c && c.old === m && c.new === n) bundle.consistency.push({ oldSize: m, proof: c.proof });
    }
    return bundle;
  }
  const file = fileUrl(url);
  if (file === null) throw new NeedsLiveServer(url);
  return fetchJson(file);
}

async function fetchBytes(path) {
  const r = await fetch(path);
  if (!r.ok) throw new ApiError(r.status, 'http', `HTTP ${r.status} for ${path}`);
  return new Uint8Array(await r.arrayBuffer());
}

export async function getText(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new ApiError(r.status, 'http', `HTTP ${r.status} for ${path}`);
  return r.text();
}

export async function postJson(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const out = await r.json().catch(() => null);
  if (!r.ok) {
    const e = new ApiError(r.status, out?.error?.code ?? 'http', out?.error?.message ?? `HTTP ${r.status}`);
    e.retryAfter = Number(r.headers.get('Retry-After') || 0);
    throw e;
  }
  return out;
}

// The deployment's published configuration (docs/PORTAL.md): its name and
// the pinned checkpoint verifier key. Absent: the portal says it is unpinned.
let configPromise = null;
export function portalConfig() {
  if (!configPromise) {
    configPromise = fetch('/portal-config.json').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  }
  return configPromise;
}

// Today in China Standard Time, "YYYY-MM-DD".
export function cstToday() {
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
}

// A paged view (docs/API.md, "Pagination") read whole. The first page's URL
// has no query (so a static publication can serve it as a file holding the
// whole list, with page.next null); further pages, if any, are fetched and
// appended to `list`.
export async function getList(path, list, opts = {}) {
  const first = await getJson(path, opts);
  let doc = first;
  while (doc.page && doc.page.next !== null && doc.page.next !== undefined) {
    doc = await getJson(`${path}?offset=${doc.page.next}&limit=1000`, opts);
    first[list].push(...doc[list]);
  }
  return first;
}
