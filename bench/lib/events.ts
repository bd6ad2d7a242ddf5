import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './serverlessConfig';
import { seededRandom } from './stats';

const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'events');

/**
 * Task lifecycles made of the captured events in test/fixtures/events: each generated task goes through one
 * of these, in order, with versions 1, 2, 3, ... (every event a distinct lifecycle event, no duplicates).
 */
export const LIFECYCLES: readonly (readonly string[])[] = [
  ['provisioning', 'pending', 'running', 'stopped-exit-0'],
  ['provisioning', 'pending', 'running', 'stopped-exit-1'],
  ['provisioning', 'pending', 'running', 'stopped-oom'],
  ['provisioning', 'pending', 'running', 'stopped-by-user'],
  ['provisioning', 'pending', 'running', 'spot-warning-spotinterruption'],
  ['provisioning', 'failed-to-start-image'],
  ['pending', 'failed-to-start-memory'],
  ['ec2-running', 'service-scheduler-stop'],
  ['spot-warning-terminationnotice'],
];

const CLUSTERS = ['batch-cluster', 'etl', 'web-jobs'];

interface Fixture {
  text: string;
  taskId: string;
}

function loadFixture(name: string): Fixture {
  const text = readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
  const taskArn: string = JSON.parse(text).detail.taskArn;
  const taskId = taskArn.slice(taskArn.lastIndexOf('/') + 1);
  return { text, taskId };
}

export interface GeneratedEvents {
  /** Each event as the raw JSON text Lambda receives (compact, as EventBridge sends it). */
  raw: string[];
  tasks: number;
  /** Events per fixture name, to show the mix. */
  mix: Record<string, number>;
}

/**
 * `count` "ECS Task State Change" events from the fixtures: varied task ids (new ids, both ARN formats as in
 * the fixtures), clusters, event ids, times and versions; tasks overlap in time and their events arrive in
 * order. Deterministic for a given seed.
 */
export function generateTaskEvents(count: number, seed = 42): GeneratedEvents {
  const random = seededRandom(seed);
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  const fixtures = new Map<string, Fixture>();
  for (const name of new Set(LIFECYCLES.flat())) fixtures.set(name, loadFixture(name));

  const start = Date.parse('2024-05-14T09:00:00Z');
  const scheduled: { at: number; order: number; raw: string; fixture: string }[] = [];
  let tasks = 0;
  while (scheduled.length < count) {
    const lifecycle = LIFECYCLES[tasks % LIFECYCLES.length] as readonly string[];
    const taskId = hex(32);
    const cluster = CLUSTERS[tasks % CLUSTERS.length] as string;
    const taskStart = start + tasks * 250;
    lifecycle.forEach((name, step) => {
      const fixture = fixtures.get(name) as Fixture;
      const event = JSON.parse(
        fixture.text.split(fixture.taskId).join(taskId).split('batch-cluster').join(cluster),
      );
      const at = taskStart + step * 4_000 + Math.floor(random() * 1_000);
      event.id = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
      event.time = new Date(at).toISOString();
      event.detail.version = step + 1;
      event.detail.updatedAt = event.time;
      scheduled.push({ at, order: scheduled.length, raw: JSON.stringify(event), fixture: name });
    });
    tasks++;
  }
  scheduled.sort((a, b) => a.at - b.at || a.order - b.order);
  const chosen = scheduled.slice(0, count);
  const mix: Record<string, number> = {};
  for (const e of chosen) mix[e.fixture] = (mix[e.fixture] ?? 0) + 1;
  return { raw: chosen.map((e) => e.raw), tasks, mix };
}
