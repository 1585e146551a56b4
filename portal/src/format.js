// Formatting for the portal: money in 万元/元, dates and instants in China
// Standard Time (UTC+8) whatever the visitor's own time zone.
import { lang, t } from './i18n.js';

const CST_MS = 8 * 3600 * 1000;

// A money object {fen, yuan} or a number of fen.
export function money(m) {
  if (m === null || m === undefined) return '—';
  const fen = typeof m === 'object' ? Number(m.fen) : Number(m);
  if (!Number.isFinite(fen)) return '—';
  const yuan = fen / 100;
  if (lang() === 'en') {
    if (Math.abs(yuan) >= 1e6) return `¥${(yuan / 1e6).toLocaleString('en', { maximumFractionDigits: 2 })} million`;
    return `¥${yuan.toLocaleString('en', { maximumFractionDigits: 2 })}`;
  }
  if (Math.abs(yuan) >= 10000) return `${(yuan / 10000).toLocaleString('zh-CN', { maximumFractionDigits: 2 })}万元`;
  return `${yuan.toLocaleString('zh-CN', { maximumFractionDigits: 2 })}元`;
}

// "YYYY-MM-DD" (already a CST day) or a {year, month, day} object.
export function date(d) {
  if (!d) return '—';
  if (typeof d === 'object') d = `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
  const [y, m, day] = d.split('-').map(Number);
  if (lang() === 'en') return d;
  return `${y}年${m}月${day}日`;
}

// Milliseconds since the epoch -> CST date and time.
export function instant(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(Number(ms) + CST_MS);
  const p = (n) => String(n).padStart(2, '0');
  const s = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
  return `${s} ${t('cst')}`;
}

export function cstDay(ms) {
  const d = new Date(Number(ms) + CST_MS);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`;
}

export const percent = (bp) => `${(Number(bp) / 100).toLocaleString(lang() === 'en' ? 'en' : 'zh-CN', { maximumFractionDigits: 1 })}%`;

export function shortKey(hex) {
  return hex ? hex.slice(0, 16) : '';
}

// Escapes text for HTML.
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// A cycle recorded after the fact (补录, RULES.md "Backfill"): marked
// wherever the cycle appears, before anything else about it.
export function backfillBadge(c) {
  return c && c.backfill ? ` <span class="badge backfill">${esc(t('backfill'))}</span>` : '';
}
export function backfillNote(c) {
  if (!c || !c.backfill) return '';
  return `<p class="backfill-note" role="note"><strong>${esc(t('backfill'))}</strong>　${esc(t('backfill_note', { r: c.backfillReason || '' }))}</p>`;
}

// A proposal's two days: when the channel received it (收件日期, format 2's
// receivedOn, given for letters, calls and proposals taken in person) and
// when it was typed into the log.
export function receivedRecorded(p) {
  return p.receivedOn ? t('received_recorded', { a: date(p.receivedOn), b: date(p.recordedOn) }) : t('recorded_only', { b: date(p.recordedOn) });
}
