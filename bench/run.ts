/**
 * Benchmarks: `npm run bench` runs every section, `npm run bench -- coldstart per-event` the named ones,
 * `npm run bench -- --list` lists them. A section is a module bench/sections/<name>.ts exporting
 * `run(): Promise<SectionResult>` (see bench/lib/report.ts). Prints a table and writes bench/results.json.
 * Exit code: 0 all targets met, 1 a target missed, 2 the benchmark itself failed.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Figure, SectionModule, SectionResult } from './lib/report';

const SECTIONS_DIR = join(__dirname, 'sections');
const RESULTS = join(__dirname, 'results.json');

function availableSections(): string[] {
  return readdirSync(SECTIONS_DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

async function loadSection(name: string): Promise<SectionModule> {
  const loaded = (await import(
    pathToFileURL(join(SECTIONS_DIR, `${name}.ts`)).href
  )) as Partial<SectionModule> & {
    default?: Partial<SectionModule>;
  };
  const mod = typeof loaded.run === 'function' ? loaded : loaded.default;
  if (!mod || typeof mod.run !== 'function')
    throw new Error(`bench/sections/${name}.ts does not export run()`);
  return mod as SectionModule;
}

const UNIT: Record<Figure['unit'], string> = { ms: 'ms', us: 'µs', bytes: 'B', count: '' };

function format(value: number | null, unit: Figure['unit']): string {
  if (value === null) return '-';
  if (unit === 'bytes') return `${Math.round(value).toLocaleString('en-US')} B`;
  const digits = unit === 'count' ? 2 : value < 10 ? 2 : 1;
  return `${value.toFixed(digits)}${UNIT[unit] ? ` ${UNIT[unit]}` : ''}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 0 || c === 1 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  return [line(rows[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join(
    '\n',
  );
}

function verdict(f: Figure): string {
  if (f.pass === null) return 'info';
  return f.pass ? 'PASS' : 'FAIL';
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const available = availableSections();
  if (args.includes('--list') || args.includes('--help')) {
    for (const name of available)
      console.log(`${name.padEnd(16)} ${(await loadSection(name)).description ?? ''}`);
    return 0;
  }
  const unknown = args.filter((a) => !available.includes(a));
  if (unknown.length > 0) {
    console.error(`unknown section(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
    return 2;
  }
  const selected = args.length > 0 ? available.filter((s) => args.includes(s)) : available;

  const started = new Date();
  const sections: Record<string, SectionResult & { seconds: number }> = {};
  for (const name of selected) {
    const t0 = process.hrtime.bigint();
    console.log(`running ${name}...`);
    const result = await (await loadSection(name)).run();
    sections[name] = { seconds: Number((process.hrtime.bigint() - t0) / 1_000_000n) / 1000, ...result };
  }

  const rows = [['section', 'figure', 'value', 'floor', 'ratio', 'target', 'result']];
  for (const [name, result] of Object.entries(sections)) {
    for (const f of result.figures) {
      rows.push([
        name,
        f.name,
        format(f.value, f.unit),
        format(f.floor, f.unit),
        f.ratio === null ? '-' : `${f.ratio.toFixed(2)}x`,
        f.target,
        verdict(f),
      ]);
    }
  }
  console.log(`\n${table(rows)}\n`);
  for (const [name, result] of Object.entries(sections)) {
    console.log(`${name} (${result.seconds.toFixed(1)} s)`);
    for (const note of result.notes ?? []) console.log(`  - ${note}`);
  }

  const figures = Object.values(sections).flatMap((s) => s.figures);
  const failed = figures.filter((f) => f.pass === false);
  const judged = figures.filter((f) => f.pass !== null);
  writeFileSync(
    RESULTS,
    `${JSON.stringify(
      {
        machine: {
          node: process.version,
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? 'unknown',
          platform: `${process.platform}-${process.arch}`,
          date: started.toISOString(),
        },
        summary: {
          targets: judged.length,
          passed: judged.length - failed.length,
          failed: failed.map((f) => f.name),
        },
        sections,
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    `\n${judged.length - failed.length} of ${judged.length} targets met; results in bench/results.json`,
  );
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
