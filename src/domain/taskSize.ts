/**
 * Task sizes: RunTask's task-level `cpu` and `memory` overrides as numbers, and the combinations Fargate
 * offers. Values and steps from "Task CPU and memory" in the Amazon ECS Developer Guide
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html); 8192 and 16384
 * CPU units need Linux platform version 1.4.0 or later.
 */

const GB = 1024;

/** `cpu` as CPU units: "1024", or vCPUs like "1 vCPU" or "0.25 vcpu" (1 vCPU is 1024 units). */
export function cpuUnits(cpu: string): number {
  const vcpu = /^(\d+(?:\.\d+)?) ?vcpu$/i.exec(cpu.trim());
  return vcpu ? Number(vcpu[1]) * 1024 : Number(cpu);
}

/** `memory` as MiB: "2048", or GB like "2 GB" or "0.5 gb" (1 GB is 1024 MiB). */
export function memoryMiB(memory: string): number {
  const gb = /^(\d+(?:\.\d+)?) ?gb$/i.exec(memory.trim());
  return gb ? Number(gb[1]) * GB : Number(memory);
}

const steps = (from: number, to: number, step: number) =>
  Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

/** For each task CPU value Fargate offers (units), the task memory values it goes with (MiB). */
const FARGATE_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1 * GB, 2 * GB]],
  [512, steps(1 * GB, 4 * GB, GB)],
  [1024, steps(2 * GB, 8 * GB, GB)],
  [2048, steps(4 * GB, 16 * GB, GB)],
  [4096, steps(8 * GB, 30 * GB, GB)],
  [8192, steps(16 * GB, 60 * GB, 4 * GB)],
  [16384, steps(32 * GB, 120 * GB, 8 * GB)],
]);

/** "512, 1024 or 2048 MiB" or, for a run in equal steps, "2048 to 8192 MiB in steps of 1024". */
function describeValues(values: readonly number[], unit: string): string {
  const [first = 0, second = 0] = values;
  const last = values.at(-1) ?? 0;
  if (values.length > 3 && values.every((v, i) => v === first + i * (second - first))) {
    return `${first} to ${last} ${unit} in steps of ${second - first}`;
  }
  return `${values.slice(0, -1).join(', ')} or ${last} ${unit}`;
}

const CPU_VALUES = [...FARGATE_SIZES.keys()];
const CPU_RULE = `must be a task CPU value Fargate offers: ${describeValues(CPU_VALUES, 'CPU units')} (0.25 to 16 vCPU)`;
const MEMORY_RULE =
  'must be a task memory Fargate offers: 512 MiB, 1 to 30 GB in 1 GB steps, 32 to 60 GB in 4 GB steps or 64 to 120 GB in 8 GB steps';

/**
 * The rule a Fargate task's cpu / memory override breaks, or undefined. Either may be absent: the task
 * definition's value applies then, which this cannot see, so a lone value is checked against every size.
 */
export function fargateSizeProblem(
  cpu: string | undefined,
  memory: string | undefined,
): { field: 'cpu' | 'memory'; message: string } | undefined {
  // A value not in either form has broken its own field's rule already: not named twice.
  const known = (value: number) => (Number.isNaN(value) ? undefined : value);
  const units = cpu === undefined ? undefined : known(cpuUnits(cpu));
  const mib = memory === undefined ? undefined : known(memoryMiB(memory));
  if (units !== undefined && !FARGATE_SIZES.has(units)) {
    return { field: 'cpu', message: `${CPU_RULE}, got ${cpu}` };
  }
  if (mib === undefined) return undefined;
  if (units === undefined) {
    const offered = [...FARGATE_SIZES.values()].some((values) => values.includes(mib));
    return offered ? undefined : { field: 'memory', message: `${MEMORY_RULE}, got ${memory}` };
  }
  const values = FARGATE_SIZES.get(units) ?? [];
  if (values.includes(mib)) return undefined;
  return {
    field: 'memory',
    message: `must be a task memory Fargate offers with ${units} CPU units: ${describeValues(values, 'MiB')}, got ${memory}`,
  };
}
