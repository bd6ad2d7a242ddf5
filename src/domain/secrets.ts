/**
 * Environment override values can be secrets (DB_PASSWORD=...): the API never answers them and the logs never
 * print them. What the API shows in their place is REDACTED; sent back in a PUT or PATCH of a schedule (a
 * GET body changed and sent again), it means "keep the value stored for this variable".
 */
export const REDACTED = '(redacted)';

interface EnvironmentEntry {
  name: string;
  value?: string;
}

const isEnvironment = (value: unknown): value is EnvironmentEntry[] =>
  Array.isArray(value) &&
  value.every((entry) => typeof entry === 'object' && entry !== null && typeof entry.name === 'string');

/**
 * A copy of `value` with the value of every environment variable (any `environment: [{name, value}]` list,
 * in overrides, requests and records alike) replaced by REDACTED. The names stay: they say what was set.
 */
export function redactEnvironmentValues<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactEnvironmentValues) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    out[key] =
      key === 'environment' && isEnvironment(member)
        ? member.map((entry) => (entry.value === undefined ? entry : { ...entry, value: REDACTED }))
        : redactEnvironmentValues(member);
  }
  return out as T;
}

interface ContainerOverride {
  name?: string;
  environment?: EnvironmentEntry[];
}

/**
 * The container overrides of an incoming schedule with every REDACTED value replaced by the value stored for
 * that container and variable. Returns the variables that have no stored value ("container.VAR").
 */
export function restoreRedacted(
  incoming: ContainerOverride[] | undefined,
  stored: ContainerOverride[] | undefined,
): { overrides: ContainerOverride[] | undefined; missing: string[] } {
  const missing: string[] = [];
  const overrides = incoming?.map((container) => {
    if (!container.environment?.some((entry) => entry.value === REDACTED)) return container;
    const before = stored?.find((c) => c.name === container.name)?.environment ?? [];
    return {
      ...container,
      environment: container.environment.map((entry) => {
        if (entry.value !== REDACTED) return entry;
        const kept = before.find((b) => b.name === entry.name)?.value;
        if (kept === undefined) missing.push(`${container.name}.${entry.name}`);
        return { ...entry, value: kept ?? REDACTED };
      }),
    };
  });
  return { overrides, missing };
}

interface WithOverrides {
  overrides?: { containerOverrides?: ContainerOverride[] };
}

/** `runTask` with its environment variables kept by name only (a stage that stores no override values). */
export function withoutEnvironmentValues<T extends WithOverrides>(runTask: T): T {
  if (!runTask.overrides?.containerOverrides?.some((c) => c.environment?.length)) return runTask;
  return {
    ...runTask,
    overrides: {
      ...runTask.overrides,
      containerOverrides: runTask.overrides.containerOverrides.map((c) =>
        c.environment ? { ...c, environment: c.environment.map(({ name }) => ({ name })) } : c,
      ),
    },
  };
}

/**
 * A recorded launch made relaunchable: variables stored without their value (storeOverrideValues false)
 * cannot be passed to RunTask, so the relaunch goes without them. `dropped` names them ("container.VAR").
 */
export function relaunchable<T extends WithOverrides>(runTask: T): { runTask: T; dropped: string[] } {
  const dropped: string[] = [];
  const containers = runTask.overrides?.containerOverrides;
  if (!containers?.some((c) => c.environment?.some((e) => e.value === undefined))) {
    return { runTask, dropped };
  }
  const kept = containers.map((c) => {
    if (!c.environment) return c;
    for (const e of c.environment) if (e.value === undefined) dropped.push(`${c.name}.${e.name}`);
    return { ...c, environment: c.environment.filter((e) => e.value !== undefined) };
  });
  return { runTask: { ...runTask, overrides: { ...runTask.overrides, containerOverrides: kept } }, dropped };
}

/** `runTask` without any environment overrides, and the variable names it had ("container.VAR"). */
export function splitEnvironment<T extends WithOverrides>(runTask: T): { rest: T; names: Set<string> } {
  const names = new Set<string>();
  const containers = runTask.overrides?.containerOverrides;
  if (!containers) return { rest: runTask, names };
  const kept = containers.map(({ environment, ...container }) => {
    for (const e of environment ?? []) names.add(`${container.name}.${e.name}`);
    return container;
  });
  return { rest: { ...runTask, overrides: { ...runTask.overrides, containerOverrides: kept } }, names };
}
