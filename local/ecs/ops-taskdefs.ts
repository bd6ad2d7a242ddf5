/** RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions(+Families), DeregisterTaskDefinition. */
import type { EcsContext, Operation } from './context';
import type { ContainerDefinition, TaskDefinition } from './model';
import { renderTaskDefinition } from './render';
import type { EcsState } from './state';
import {
  arns,
  clientError,
  clone,
  type Input,
  invalid,
  keyValues,
  objList,
  paginate,
  readTags,
  requiredStr,
  str,
  strList,
  tagList,
} from './util';

export function taskDefinitionOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    RegisterTaskDefinition: (input) => register(ctx.state, input),
    DescribeTaskDefinition: (input) => describe(ctx.state, input),
    ListTaskDefinitions: (input) => listTaskDefinitions(ctx.state, input),
    ListTaskDefinitionFamilies: (input) => listFamilies(ctx.state, input),
    DeregisterTaskDefinition: (input) => deregister(ctx.state, input),
  };
}

const INTERPRETED = new Set([
  'family',
  'containerDefinitions',
  'networkMode',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'taskRoleArn',
  'executionRoleArn',
  'tags',
]);

/** Fargate task sizes: cpu units -> allowed memory MiB. */
const FARGATE_SIZES: Record<string, (memory: number) => boolean> = {
  '256': (m) => [512, 1024, 2048].includes(m),
  '512': (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  '1024': (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  '2048': (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  '4096': (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
  '8192': (m) => m >= 16384 && m <= 61440 && m % 4096 === 0,
  '16384': (m) => m >= 32768 && m <= 122880 && m % 8192 === 0,
};

/** Task-level cpu/memory are strings in the API; some tools send numbers, which AWS also accepts. */
function sizeMember(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw clientError(`${key} must be a string.`);
  return String(value);
}

function readContainer(item: Input): ContainerDefinition {
  const name = item.name;
  const image = item.image;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    throw clientError(
      'Container.name should not be null or empty and may contain letters, numbers, hyphens and underscores.',
    );
  }
  if (typeof image !== 'string' || !image) throw clientError('Container.image should not be null or empty.');
  for (const key of ['cpu', 'memory', 'memoryReservation']) {
    if (item[key] !== undefined && !Number.isInteger(item[key]))
      throw clientError(`Container.${key} must be an integer.`);
  }
  strList(item, 'command');
  return {
    portMappings: [],
    mountPoints: [],
    volumesFrom: [],
    ...clone(item),
    name,
    image,
    cpu: (item.cpu as number | undefined) ?? 0,
    essential: item.essential !== false,
    environment: keyValues(item, 'environment') ?? [],
  };
}

function register(state: EcsState, input: Input) {
  const family = requiredStr(input, 'family');
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) {
    throw clientError('Family may contain up to 255 letters, numbers, hyphens and underscores.');
  }
  const containerDefinitions = (objList(input, 'containerDefinitions') ?? []).map(readContainer);
  if (containerDefinitions.length === 0) throw clientError('Container list cannot be empty.');
  if (!containerDefinitions.some((c) => c.essential)) {
    throw clientError('A task definition must have at least one essential container.');
  }
  const networkMode = str(input, 'networkMode') ?? 'bridge';
  if (!['bridge', 'host', 'awsvpc', 'none'].includes(networkMode))
    throw clientError(`Invalid networkMode ${networkMode}.`);
  const requiresCompatibilities = strList(input, 'requiresCompatibilities') ?? [];
  const cpu = sizeMember(input, 'cpu');
  const memory = sizeMember(input, 'memory');
  const fargateSized = networkMode === 'awsvpc' && cpu !== undefined && memory !== undefined;
  if (requiresCompatibilities.includes('FARGATE')) {
    if (networkMode !== 'awsvpc') throw clientError("Fargate only supports network mode 'awsvpc'.");
    if (cpu === undefined) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined)
      throw clientError("Fargate requires that 'memory' be defined at the task level.");
    if (!FARGATE_SIZES[cpu]?.(Number(memory))) {
      throw clientError(`No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory.`);
    }
  } else if (memory === undefined) {
    const missing = containerDefinitions.find(
      (c) => c.memory === undefined && c.memoryReservation === undefined,
    );
    if (missing) {
      throw clientError(
        `Invalid setting for container '${missing.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
      );
    }
  }
  const revisions = state.families.get(family) ?? [];
  const revision = revisions.length + 1;
  const passthrough = Object.fromEntries(
    Object.entries(clone(input)).filter(([key]) => !INTERPRETED.has(key)),
  );
  const td: TaskDefinition = {
    family,
    revision,
    arn: arns.taskDefinition(family, revision),
    status: 'ACTIVE',
    containerDefinitions,
    networkMode,
    requiresCompatibilities,
    compatibilities:
      fargateSized && cpu && FARGATE_SIZES[cpu]?.(Number(memory)) ? ['EC2', 'FARGATE'] : ['EC2'],
    cpu,
    memory,
    taskRoleArn: str(input, 'taskRoleArn'),
    executionRoleArn: str(input, 'executionRoleArn'),
    passthrough,
    registeredAt: state.now(),
    tags: readTags(input),
  };
  revisions.push(td);
  state.families.set(family, revisions);
  return { taskDefinition: renderTaskDefinition(td), tags: tagList(td.tags) };
}

/** Registers directly (seed data), bypassing throttling. */
export function registerTaskDefinition(state: EcsState, input: Input): TaskDefinition {
  register(state, input);
  const family = String(input.family);
  const td = state.findTaskDefinition(`${family}:${state.families.get(family)?.length ?? 0}`);
  if (!td) throw new Error(`failed to register ${family}`);
  return td;
}

function describe(state: EcsState, input: Input) {
  const td = state.findTaskDefinition(requiredStr(input, 'taskDefinition'));
  if (!td) throw clientError('Unable to describe task definition.');
  const withTags = (strList(input, 'include') ?? []).includes('TAGS');
  return { taskDefinition: renderTaskDefinition(td), ...(withTags ? { tags: tagList(td.tags) } : {}) };
}

function allTaskDefinitions(state: EcsState): TaskDefinition[] {
  return [...state.families.values()].flat();
}

function listTaskDefinitions(state: EcsState, input: Input) {
  const family = str(input, 'familyPrefix');
  const status = str(input, 'status') ?? 'ACTIVE';
  const sort = str(input, 'sort') ?? 'ASC';
  if (!['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'].includes(status)) throw invalid('Invalid status.');
  if (sort !== 'ASC' && sort !== 'DESC') throw invalid('sort must be ASC or DESC.');
  const matching = allTaskDefinitions(state)
    .filter((td) => td.status === status && (family === undefined || td.family === family))
    .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision);
  if (sort === 'DESC') matching.reverse();
  const { page, nextToken } = paginate(matching, input);
  return { taskDefinitionArns: page.map((td) => td.arn), ...(nextToken ? { nextToken } : {}) };
}

function listFamilies(state: EcsState, input: Input) {
  const prefix = str(input, 'familyPrefix') ?? '';
  const status = str(input, 'status') ?? 'ALL';
  const families = [...state.families.entries()]
    .filter(([family, revisions]) => {
      if (!family.startsWith(prefix)) return false;
      const active = revisions.some((td) => td.status === 'ACTIVE');
      return status === 'ALL' || (status === 'ACTIVE' ? active : !active);
    })
    .map(([family]) => family)
    .sort();
  const { page, nextToken } = paginate(families, input);
  return { families: page, ...(nextToken ? { nextToken } : {}) };
}

function deregister(state: EcsState, input: Input) {
  const ref = requiredStr(input, 'taskDefinition');
  // UNCERTAIN wording: deregistering needs an explicit revision.
  if (!/:\d+$/.test(ref))
    throw clientError('The specified task definition identifier is invalid. Specify a valid revision.');
  const td = state.findTaskDefinition(ref);
  if (!td) throw clientError('The specified task definition does not exist.');
  if (td.status === 'ACTIVE') {
    td.status = 'INACTIVE';
    td.deregisteredAt = state.now();
  }
  return { taskDefinition: renderTaskDefinition(td) };
}
