// The schema layout for tests, computed the way the build computes it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { parseCapnpText } from '../../scripts/gen-schema.mjs';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const layout = parseCapnpText(execFileSync('capnp',
  ['compile', '-ocapnp', join(repo, 'ledger/schema/piaojue.capnp')], { encoding: 'utf8' }));
