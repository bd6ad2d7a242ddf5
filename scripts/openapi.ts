/**
 * Writes docs/openapi.json from the zod schemas: `npx tsx scripts/openapi.ts`.
 * `--check` writes nothing and fails when the committed file is out of date.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildOpenApiDocument } from '../src/openapi';

const target = join(__dirname, '..', 'docs', 'openapi.json');
const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing: out of date
  }
  if (committed !== text) {
    console.error('docs/openapi.json is out of date: run `npx tsx scripts/openapi.ts`');
    process.exit(1);
  }
  console.log('docs/openapi.json is up to date');
} else {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
