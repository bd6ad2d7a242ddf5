/** Plain text tables for the sandbox CLI: aligned columns, blank cells for none, fitted to a width. */
import type { InstanceTableRow, TaskTableRow } from './ecs';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | undefined;
  /** How a too-wide cell is cut to fit: its end, or its start (keeps the tail); never when absent. */
  cut?: 'end' | 'start';
}

const GAP = '  ';
const ELLIPSIS = '…';

function cut(text: string, width: number, how: 'end' | 'start' | undefined): string {
  if (text.length <= width || !how) return text;
  if (how === 'end') return `${text.slice(0, width - 1)}${ELLIPSIS}`;
  return `${ELLIPSIS}${text.slice(text.length - (width - 1))}`;
}

/**
 * Renders rows under their headers. While the table is wider than maxWidth, the widest column that may be
 * cut loses a character (never below its header's width, nor below 8).
 */
export function formatTable<Row>(columns: Column<Row>[], rows: Row[], maxWidth = 120): string {
  const cells = rows.map((row) => columns.map((c) => String(c.value(row) ?? '')));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((r) => (r[i] as string).length)),
  );
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    columns.forEach((c, i) => {
      const floor = Math.max(c.header.length, 8);
      if (
        c.cut &&
        (widths[i] as number) > floor &&
        (widest < 0 || (widths[i] as number) > (widths[widest] as number))
      )
        widest = i;
    });
    if (widest < 0) break;
    widths[widest] = (widths[widest] as number) - 1;
  }
  const line = (values: string[]) =>
    values
      .map((v, i) => cut(v, widths[i] as number, columns[i]?.cut).padEnd(widths[i] as number))
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

const TASK_ID = /\b[0-9a-f]{32}\b/g;
/** A task id cut to its first 8 characters, enough to find it in the TASK column. */
export const shortTaskId = (id: string) => `${id.slice(0, 8)}${ELLIPSIS}`;
const lastSegment = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

const ATTEMPT_TAG = 'ecs-autopilot:attempt';
const ORIGIN_TAG = 'ecs-autopilot:origin-task';

export const TASK_COLUMNS: Column<TaskTableRow>[] = [
  { header: 'TASK', value: (t) => t.taskId },
  {
    header: 'STATUS',
    value: (t) => (t.desiredStatus === t.lastStatus ? t.lastStatus : `${t.lastStatus}->${t.desiredStatus}`),
  },
  { header: 'CAPACITY', value: (t) => t.capacityProvider ?? t.launchType, cut: 'end' },
  // ecs-autopilot/restart/<origin task id>/<launch>: the id shortened; when cut, the common prefix goes
  // first (the kind, the origin, the launch number, a schedule's name are at the end).
  { header: 'STARTED BY', value: (t) => t.startedBy?.replace(TASK_ID, shortTaskId), cut: 'start' },
  { header: 'ATTEMPT', value: (t) => t.tags[ATTEMPT_TAG] },
  {
    header: 'ORIGIN',
    value: (t) => {
      const origin = t.tags[ORIGIN_TAG];
      return origin === undefined ? undefined : shortTaskId(lastSegment(origin));
    },
  },
];

export const INSTANCE_COLUMNS: Column<InstanceTableRow>[] = [
  { header: 'EC2 INSTANCE', value: (i) => i.ec2InstanceId },
  { header: 'CLUSTER', value: (i) => i.cluster, cut: 'end' },
  { header: 'CAPACITY PROVIDER', value: (i) => i.capacityProvider, cut: 'end' },
  { header: 'SPOT', value: (i) => (i.spot ? 'yes' : 'no') },
  { header: 'STATUS', value: (i) => i.status },
  { header: 'RUNNING TASKS', value: (i) => i.runningTasks },
  { header: 'PENDING TASKS', value: (i) => i.pendingTasks },
];
