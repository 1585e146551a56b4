// Reads of the piaojue API (docs/API.md). Every read of a view carries the
// portal's as-of moment, so the whole portal shows one past state.
export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export function asOf() {
  return new URLSearchParams(location.search).get('as_of') || '';
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
  const r = await fetch(url);
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, body?.error?.code ?? 'http', body?.error?.message ?? `HTTP ${r.status}`);
  return body;
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
