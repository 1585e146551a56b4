// Links and navigation shared by the pages (kept apart from main.js so the
// pages do not import the shell).
import { asOf } from './api.js';

// A link inside the portal that keeps the as-of moment.
export function href(path, extra = {}) {
  const q = new URLSearchParams();
  const a = asOf();
  if (a) q.set('as_of', a);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return path + (s ? (path.includes('?') ? '&' : '?') + s : '');
}

let renderer = () => {};
export function setRenderer(fn) { renderer = fn; }
export function navigate(url) {
  history.pushState(null, '', url);
  renderer();
}

export const cleanup = [];
// Pages register what to stop when the visitor leaves (e.g. live streams).
export function onLeave(fn) { cleanup.push(fn); }
