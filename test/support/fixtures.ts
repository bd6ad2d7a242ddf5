import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskStateChangeEvent } from '../../src/domain/taskEvent';

const DIR = join(__dirname, '..', 'fixtures', 'events');

export const FIXTURE_NAMES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

/** A fresh deep copy each call, so a test may change it freely. */
export function fixture(name: string): TaskStateChangeEvent {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8'));
}
