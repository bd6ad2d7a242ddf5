/**
 * The sandbox control commands' arguments, checked the same way by the CLI (`npm run sandbox`, exit 2) and
 * by the control endpoint (`/_sandbox/<command>`, HTTP 400), which curl can call directly. Each message
 * names the argument and the forms it accepts.
 */

/** Bad input to a control command: the CLI exits 2, the endpoint answers 400. */
export class ControlInputError extends Error {
  constructor(
    message: string,
    /** The endpoint's HTTP status: 400, or 404 for an unknown command. */
    readonly status = 400,
  ) {
    super(message);
    this.name = 'ControlInputError';
  }
}

/** ECS's task lastStatus values, in lifecycle order (DELETED appears only in DescribeTasks). */
export const TASK_STATUSES = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
] as const;
export type TaskLastStatus = (typeof TASK_STATUSES)[number];

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_FORMS = '<n><ms|s|m|h|d>, e.g. 30s, 10m, 2h';

/** "<name> <value> is not <what>: use <forms>", or "<name> is required: use <forms>" when it is missing. */
function invalid(name: string, value: unknown, what: string, forms: string): ControlInputError {
  if (value === undefined || value === '') return new ControlInputError(`${name} is required: use ${forms}`);
  const shown = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return new ControlInputError(`${name} ${shown} is not ${what}: use ${forms}`);
}

/** A text argument that must be there. */
export function requiredText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(name, value, 'text', 'a non-empty string');
  return value;
}

/** A container exit code: an integer from 0 to 255 (a number, or its digits). */
export function exitCode(name: string, value: unknown): number {
  const code = typeof value === 'string' && /^\d{1,3}$/.test(value) ? Number(value) : value;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 255) {
    throw invalid(name, value, 'an exit code', 'an integer from 0 to 255');
  }
  return code;
}

/** on or off exactly (booleans too, for JSON bodies). */
export function onOff(name: string, value: unknown): boolean {
  if (value === 'on' || value === true) return true;
  if (value === 'off' || value === false) return false;
  throw invalid(name, value, 'on or off', 'on or off');
}

/** A share of calls or events: a number from 0 to 1 (e.g. 0.2). */
export function rate(name: string, value: unknown): number {
  const share = typeof value === 'string' && /^\d*\.?\d+$/.test(value) ? Number(value) : value;
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
    throw invalid(name, value, 'a rate', 'a number from 0 to 1, e.g. 0.2');
  }
  return share;
}

/** A length of time, <n><ms|s|m|h|d> (a leading + allowed), in milliseconds. */
export function duration(name: string, value: unknown): number {
  const m = typeof value === 'string' ? /^\+?(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim()) : null;
  if (!m?.[1] || !m[2]) throw invalid(name, value, 'a duration', DURATION_FORMS);
  return Number(m[1]) * (UNITS[m[2]] ?? 1);
}

/** How far to move the sandbox clock: forward only, +<n><ms|s|m|h|d>. */
export function clockAdvance(name: string, value: unknown): number {
  const forms = '+<n><ms|s|m|h|d>, e.g. +30s, +10m, +2h';
  if (typeof value === 'string' && value.trim().startsWith('-')) {
    throw new ControlInputError(
      `${name} "${value}" would move the clock back, and the sandbox clock only moves forward: use ${forms}`,
    );
  }
  if (typeof value !== 'string' || !/^\+?\d+(\.\d+)?(ms|s|m|h|d)$/.test(value.trim())) {
    throw invalid(name, value, 'a duration', forms);
  }
  return duration(name, value);
}

/** One of ECS's task lastStatus values (any case). */
export function taskStatus(name: string, value: unknown): TaskLastStatus {
  const upper = typeof value === 'string' ? value.toUpperCase() : value;
  const status = TASK_STATUSES.find((s) => s === upper);
  if (!status) throw invalid(name, value, 'a task status', `one of ${TASK_STATUSES.join(', ')}`);
  return status;
}
