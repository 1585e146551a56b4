// Bundles the portal with esbuild into DIST_DIR (default dist/).
//
// The first page must be usable after one round trip (docs/PORTAL.md,
// "Measured"), so index.html carries everything it needs: the stylesheet in
// a <style>, the shell (main.js with i18n, api, format, nav and the home
// page) in one inline module script, and a placeholder where `piaojue
// serve` puts the cycles view (api/server/handlers_portal.cc). Everything
// else is in content-hashed chunks under assets/, loaded on demand:
//
//   1. the lazy build: every other page, with code splitting among them
//      (charts, the verification engine, the QR code library and
//      @noble/curves are further chunks). The shell modules are not bundled
//      into it: an import of one of them reads the shell's own module
//      instance from globalThis.__piaojueShell (set by main.js), so there is
//      one i18n state, one router and one list of cleanups;
//   2. the shell build: main.js without splitting; its dynamic imports of
//      pages become the absolute URLs of the chunks of build 1.
import * as esbuild from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { join, basename, dirname, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = process.argv[2] || join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

// The shell's modules, as main.js registers them in globalThis.__piaojueShell.
export const SHELL = ['i18n.js', 'api.js', 'format.js', 'nav.js', 'pages/home.js'];
const LAZY = ['proposals', 'lookup', 'vote', 'supervision', 'evaluation', 'record', 'changes', 'notice', 'propose', 'about'];

// The names a shell module exports (`export function f`, `export const x`,
// `export class C`). esbuild refuses an import of a name not listed here,
// so a missed export fails the build, never the page.
function exportNames(file) {
  const text = readFileSync(file, 'utf8');
  const names = [...text.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
  if (/^export\s*(\{|\*|default)/m.test(text)) throw new Error(`${file}: only named declarations can be exported from a shell module`);
  return names;
}

const shellProxy = {
  name: 'shell-proxy',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      const abs = resolve(args.resolveDir, args.path);
      const rel = relative(src, abs).split('\\').join('/');
      if (!SHELL.includes(rel)) return undefined;
      return { path: rel, namespace: 'shell' };
    });
    build.onLoad({ filter: /.*/, namespace: 'shell' }, (args) => {
      const names = exportNames(join(src, args.path));
      const lines = [`const m = globalThis.__piaojueShell[${JSON.stringify(args.path)}];`];
      for (const n of names) lines.push(`export const ${n} = m.${n};`);
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

const common = { bundle: true, format: 'esm', minify: true, target: ['es2020'], legalComments: 'linked', logLevel: 'warning', metafile: true };

const lazy = await esbuild.build({
  ...common,
  entryPoints: LAZY.map((p) => join(src, 'pages', p + '.js')),
  splitting: true,
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  plugins: [shellProxy],
});
const chunkOf = {};
for (const [file, out] of Object.entries(lazy.metafile.outputs)) {
  if (out.entryPoint && file.endsWith('.js')) chunkOf[basename(out.entryPoint, '.js')] = '/assets/' + basename(file);
  if (out.cssBundle) throw new Error('a lazily loaded page imports CSS: the stylesheet is inline, import it from main.js');
}

const pagesAsChunks = {
  name: 'pages-as-chunks',
  setup(build) {
    build.onResolve({ filter: /^\.\/pages\/\w+\.js$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const name = basename(args.path, '.js');
      if (!chunkOf[name]) throw new Error(`main.js loads ${args.path}, which is not in LAZY`);
      return { path: chunkOf[name], external: true };
    });
  },
};
const shell = await esbuild.build({
  ...common,
  entryPoints: [join(src, 'main.js')],
  splitting: false,
  write: false,
  outdir: join(dist, 'shell'),
  plugins: [pagesAsChunks],
});
let js = '';
let css = '';
for (const f of shell.outputFiles) {
  if (f.path.endsWith('.js')) js = f.text;
  else if (f.path.endsWith('.css')) css = f.text;
  else if (f.path.endsWith('.LEGAL.txt')) writeFileSync(join(dist, 'assets', 'shell.LEGAL.txt'), f.contents);
}
js = js.trim();
css = css.trim();
// The inline texts must not end their element early. esbuild escapes
// "</script" in strings; this makes sure of it.
if (/<\/script/i.test(js) || /<!--/.test(js)) throw new Error('the shell script contains </script or <!--');
if (/<\/style/i.test(css)) throw new Error('the stylesheet contains </style');

const html = readFileSync(join(src, 'index.html'), 'utf8')
  .replace('%MAIN_CSS%', () => css)
  .replace('%MAIN_JS%', () => js);
writeFileSync(join(dist, 'index.html'), html);
copyFileSync(join(src, 'favicon.svg'), join(dist, 'favicon.svg'));
