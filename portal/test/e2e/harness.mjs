// End-to-end harness: a demo ledger built by `piaojue demo`, `piaojue serve`
// on free loopback ports (a clean copy and tampered copies), and Debian's
// Chromium driven by puppeteer-core. docs/PORTAL.md, "Tests".
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, cpSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, '../../..');
export const CHROMIUM = process.env.PORTAL_CHROMIUM || '/usr/bin/chromium';
export const PIAOJUE = process.env.PIAOJUE_BIN || join(repo, 'build/release/bin/piaojue');
export const TAMPER = process.env.PORTAL_TAMPER_BIN || join(repo, 'build/release/bin/portal_tamper');
export const ARTIFACTS = process.env.PORTAL_ARTIFACTS || join(repo, 'build/portal-e2e');

export function skipReason() {
  if (!existsSync(CHROMIUM)) return `Chromium is not installed at ${CHROMIUM} (./scripts/setup installs it): end-to-end tests skipped`;
  if (!existsSync(PIAOJUE)) return `no piaojue binary at ${PIAOJUE} (build it first)`;
  if (!existsSync(TAMPER)) return `no portal_tamper binary at ${TAMPER} (build it first)`;
  return false;
}

export function piaojue(args, input) {
  return execFileSync(PIAOJUE, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

// Starts `piaojue ARGS…` and resolves {match, stop} once its output
// matches `pattern` (the regexp's match), or rejects.
export function spawnUntil(args, pattern, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(PIAOJUE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`${what} did not start: ${out}`)); }, 20000);
    const onData = (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          match: m,
          stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited ${code}: ${out}`)); });
  });
}

// Starts `piaojue serve` on a free port; resolves {url, stop}. `extra`:
// more flags (e.g. --witness URL=VKEY).
export async function serve(dataDir, extra = []) {
  const s = await spawnUntil(['serve', '--data', dataDir, '--listen', '127.0.0.1:0', ...extra], /on (http:\/\/127\.0\.0\.1:\d+)/, 'serve');
  return { url: s.match[1], stop: s.stop };
}

// A C2SP witness (`piaojue witness init/add-log/serve`, docs/WITNESS.md) in
// its own data directory, trusting the log `logVkey`, on a free port:
// resolves {url, vkey, stop}; `--witness ${url}=${vkey}` connects a log.
export async function startWitness(dir, name, logVkey) {
  const vkey = /verifier key: (\S+)/.exec(piaojue(['witness', 'init', '--data', dir, '--name', name]))[1];
  piaojue(['witness', 'add-log', '--data', dir, '--vkey', logVkey]);
  const s = await spawnUntil(['witness', 'serve', '--data', dir, '--listen', '127.0.0.1:0'], /serving on (http:\/\/127\.0\.0\.1:\d+)\/add-checkpoint/, `witness ${name}`);
  return { url: s.match[1], vkey, stop: s.stop };
}

export function cstDate(offsetDays = 0) {
  const d = new Date(Date.now() + 8 * 3600e3 + offsetDays * 86400e3);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

// Copies a demo data directory together with the demo's keys folder beside
// it (DIR-keys: the offices' keys are not kept in the data directory,
// docs/DEMO.md).
export function copyLedger(src, dst) {
  cpSync(src, dst, { recursive: true });
  if (existsSync(`${src}-keys`)) cpSync(`${src}-keys`, `${dst}-keys`, { recursive: true });
}

// The demo ledger plus a cycle collecting proposals today (for the form).
// `partial` (when asked) is the same demo stopped after screening, for the
// live test to replay the vote into.
export function buildLedger({ partial = false } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'piaojue-portal-e2e-'));
  const clean = join(root, 'clean');
  let partialDir = null;
  if (partial) {
    partialDir = join(root, 'partial');
    piaojue(['demo', '--data', partialDir, '--until', 'screening']);
    copyLedger(partialDir, clean);
  }
  if (partial) copyLedger(partialDir, join(root, 'partial2'));
  piaojue(['demo', '--data', clean]);
  const start = cstDate(-1);
  const end = cstDate(30);
  const cmd = JSON.stringify({ jurisdiction: '612725', event: { cycleOpened: {
    year: start.year + 1, level: 'county', title: `清河县${start.year + 1}年民生实事项目（征集中）`,
    budgetFen: 10000000000, projectCount: 10, collectionStart: start, collectionEnd: end,
    scope: '全县范围内群众急难愁盼的民生实事' } } });
  const opened = piaojue(['submit', '--data', clean, '--key', join(`${clean}-keys`, 'governmentOffice@612725.key'), '-'], cmd);
  const openCycle = Number(/appended entry (\d+)/.exec(opened)[1]);
  return { root, clean, openCycle, partial: partialDir, partial2: partial ? join(root, 'partial2') : null };
}

export function tamperedCopy(root, clean, name, args) {
  const dir = join(root, name);
  copyLedger(clean, dir);
  execFileSync(TAMPER, [dir, ...args], { stdio: 'pipe' });
  return dir;
}

export function artifact(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

export function writeMetrics(obj) {
  const file = artifact('metrics.json');
  let prev = {};
  try { prev = JSON.parse(readFileSync(file, 'utf8')); } catch {}
  writeFileSync(file, JSON.stringify({ ...prev, ...obj }, null, 2) + '\n');
}

// Signs a command ({"jurisdiction", "event"}) with DIR's key of ROLE for
// the log ORIGIN: the body of POST /v1/entries (tests/portal/tamper_tool.cc).
export function signCommand(dir, role, origin, command) {
  return execFileSync(TAMPER, [dir, 'sign', role, origin], { input: JSON.stringify(command), encoding: 'utf8' });
}

// Who signs each kind of vote event (docs/FORMAT.md, "Authorization").
export const ROLE_OF = {
  votingRulesAdopted: 'standingCommittee', deliberationRecorded: 'secretariat', roundOpened: 'secretariat',
  resultAnnounced: 'secretariat', ballotBoxSealed: 'monitor', ballotBoxOpened: 'monitor',
  tallyCertified: 'monitor', ballotsRecorded: 'teller',
};

// Appends to the ledger served at `target` (data directory `dir`) the same
// event as entry `index` of the ledger served at `source`, signed afresh by
// the demo's key of the same role (an old signature may not be submitted
// again long after it was made).
export async function resign(source, target, dir, index) {
  const ent = await (await fetch(`${source}/v1/entries/${index}`)).json();
  const log = await (await fetch(`${target}/v1/log`)).json();
  const kind = ent.decoded.kind;
  const body = signCommand(dir, ROLE_OF[kind], log.origin, { jurisdiction: ent.decoded.jurisdiction, event: ent.decoded.event });
  const r = await fetch(`${target}/v1/entries`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const out = await r.json();
  if (r.status !== 201) throw new Error(`re-signing entry ${index} (${kind}): ${JSON.stringify(out)}`);
  return out.index;
}

// Debian's nginx serving a `piaojue publish` directory, unprivileged, on a
// free loopback port, with its config, pid file and logs in `prefix`
// (docs/DEPLOY.md gives the same locations for a real deployment).
export const NGINX = process.env.PORTAL_NGINX || '/usr/sbin/nginx';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

export function nginxConfig({ prefix, root, port }) {
  const tmp = (n) => `${prefix}/tmp/${n}`;
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  types { text/html html; application/json json; text/javascript js; text/css css; image/svg+xml svg; text/plain txt; }
  default_type application/octet-stream;
  sendfile on;
  gzip_static on;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location = /tlog/checkpoint { default_type "text/plain; charset=utf-8"; add_header Cache-Control "no-cache"; }
    location ~ ^/tlog/tile/.*\\.p/ { add_header Cache-Control "public, max-age=60"; add_header Vary Accept-Encoding; }
    location /tlog/tile/ { add_header Cache-Control "public, max-age=31536000, immutable"; add_header Vary Accept-Encoding; }
    location /v1/ { add_header Cache-Control "no-cache"; try_files $uri.json $uri =404; }
    location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
    location / { add_header Cache-Control "no-cache"; try_files $uri /index.html; }
  }
}
`;
}

// Starts nginx on `root`; resolves {url, stop, prefix}.
export async function startNginx(root) {
  const prefix = mkdtempSync(join(tmpdir(), 'piaojue-nginx-'));
  mkdirSync(join(prefix, 'tmp'));
  const port = await freePort();
  writeFileSync(join(prefix, 'nginx.conf'), nginxConfig({ prefix, root, port }));
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${out}`);
    try { await fetch(url + '/tlog/checkpoint'); break; } catch {}
    if (i > 100) { child.kill('SIGTERM'); throw new Error(`nginx did not start: ${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); });
  return { url, stop, prefix };
}
