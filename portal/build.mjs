// Bundles the portal with esbuild into DIST_DIR (default dist/): hashed
// JavaScript and CSS chunks and an index.html that names them. Charts and
// the QR code are separate chunks, loaded only by the pages that use them.
import * as esbuild from 'esbuild';
import { mkdirSync, rmSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { join, basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] || join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: [join(here, 'src/main.js')],
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  target: ['es2020'],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

let js = '';
let css = '';
let preloads = [];
for (const [file, out] of Object.entries(result.metafile.outputs)) {
  if (out.entryPoint && out.entryPoint.replace(/\\/g, '/').endsWith('src/main.js') && file.endsWith('.js')) {
    js = basename(file);
    if (out.cssBundle) css = basename(out.cssBundle);
    // Chunks the entry imports statically: preloaded with it, so they do not
    // cost another round trip (the first page's load time, docs/PORTAL.md).
    preloads = out.imports.filter((i) => i.kind === 'import-statement').map((i) => basename(i.path));
  }
}
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%MAIN_JS%', '/assets/' + js)
  .replace('%MAIN_CSS%', '/assets/' + css)
  .replace('%PRELOADS%', preloads.map((p) => `<link rel="modulepreload" href="/assets/${p}">`).join('\n'));
writeFileSync(join(dist, 'index.html'), html);
copyFileSync(join(here, 'src/favicon.svg'), join(dist, 'favicon.svg'));
