/**
 * What a benchmark section returns. Speed is always judged as a RATIO against a floor measured in the same
 * run (machines are noisy); absolute numbers are reported alongside, never judged on their own, except for
 * counts that do not depend on the machine (writes per event).
 */

export type Unit = 'ms' | 'us' | 'bytes' | 'count';

/** How a figure is judged: its ratio to the floor, or its value itself (machine-independent counts). */
export type Limit = { of: 'ratio'; max: number } | { of: 'value'; max: number };

export interface Figure {
  /** Unique within the section, e.g. "taskEvents init". */
  name: string;
  unit: Unit;
  /** The measured figure (a median when sampled). */
  value: number;
  /** The same measurement on the floor, or null for absolute figures. */
  floor: number | null;
  /** value / floor, or null for absolute figures. */
  ratio: number | null;
  /** The target, or null for a figure reported for information only. */
  limit: Limit | null;
  /** e.g. "<= 1.15x floor", "<= 2", "info". */
  target: string;
  /** null for information-only figures. */
  pass: boolean | null;
  /** Optional raw material: samples, spread, what the floor was. */
  detail?: Record<string, unknown>;
}

export interface SectionResult {
  figures: Figure[];
  /** Anything worth keeping in results.json beyond the figures (breakdowns, parameters). */
  details?: Record<string, unknown>;
  /** Short lines printed under the table (how it was measured, why something fails). */
  notes?: string[];
}

/** What every module in bench/sections/*.ts exports. The section's name is its file name. */
export interface SectionModule {
  /** One line shown by `npm run bench -- --list`. */
  description?: string;
  run(): Promise<SectionResult>;
}

const ratioText = (max: number) => `<= ${max}x floor`;

/** A figure judged by its ratio to a floor measured in the same run. */
export function vsFloor(
  name: string,
  unit: Unit,
  value: number,
  floor: number,
  maxRatio: number | null,
  detail?: Record<string, unknown>,
): Figure {
  const ratio = floor > 0 ? value / floor : Number.POSITIVE_INFINITY;
  return {
    name,
    unit,
    value,
    floor,
    ratio,
    limit: maxRatio === null ? null : { of: 'ratio', max: maxRatio },
    target: maxRatio === null ? 'info' : ratioText(maxRatio),
    pass: maxRatio === null ? null : ratio <= maxRatio,
    ...(detail ? { detail } : {}),
  };
}

/** A machine-independent figure judged by its value (e.g. writes per event). */
export function atMost(
  name: string,
  unit: Unit,
  value: number,
  max: number,
  detail?: Record<string, unknown>,
): Figure {
  return {
    name,
    unit,
    value,
    floor: null,
    ratio: null,
    limit: { of: 'value', max },
    target: `<= ${max}`,
    pass: value <= max,
    ...(detail ? { detail } : {}),
  };
}
