/**
 * EventBridge content filtering (event patterns), as implemented by AWS's event-ruler:
 * nested objects select nested fields, a leaf is a list of matchers OR-ed together, fields are AND-ed,
 * `$or` forks alternatives at one level, and an event array matches when any of its elements does.
 *
 * Semantics kept from event-ruler:
 * - Only leaf values (strings, numbers, booleans, null, and arrays of them) are matched; an object is not a
 *   leaf, so `exists: true` on an object field is false and `exists: false` is true.
 * - A field named in the pattern but absent from the event (or an empty array) matches only `exists: false`.
 * - Arrays of objects are matched element by element, so several fields under one array must match
 *   within the same element.
 * - prefix, suffix, equals-ignore-case, wildcard and cidr only match strings; numeric only matches
 *   JSON numbers; an exact number matches an equal number (5 matches 5.0), never the string "5".
 * - anything-but matches any present leaf value the inner matcher does not match (of any type).
 */
import { BlockList, isIP } from 'node:net';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class PatternError extends Error {}

function fail(message: string): never {
  throw new PatternError(message);
}

const NUMERIC_LIMIT = 5e9;

/** undefined when the pattern (parsed, or JSON text) is valid, else a message for InvalidEventPatternException. */
export function validatePattern(pattern: unknown): string | undefined {
  if (typeof pattern === 'string') {
    const parsed = parseJson(pattern);
    if (parsed === undefined) return 'Event pattern is not valid. Reason: Invalid JSON';
    return validatePattern(parsed);
  }
  try {
    if (!isObject(pattern)) fail('Filter is not an object');
    checkObject(pattern as JsonObject);
    return undefined;
  } catch (error) {
    if (error instanceof PatternError) return `Event pattern is not valid. Reason: ${error.message}`;
    throw error;
  }
}

/** true when the event matches the pattern (each parsed, or JSON text). An invalid pattern matches nothing. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  const p = typeof pattern === 'string' ? parseJson(pattern) : pattern;
  const e = typeof event === 'string' ? parseJson(event) : event;
  if (!isObject(p)) return false;
  return matchObject(p, isObject(e) ? e : {});
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Validation

function checkObject(pattern: JsonObject): void {
  const keys = Object.keys(pattern);
  if (keys.length === 0) fail('Empty objects are not allowed');
  for (const key of keys) {
    const value = pattern[key];
    if (key === '$or') {
      if (!Array.isArray(value)) fail('It must be an Array followed with $or.');
      const alternatives = value as unknown[];
      for (const alternative of alternatives) {
        if (!isObject(alternative)) fail('Only JSON object is allowed in array of $or relationship.');
        checkObject(alternative as JsonObject);
      }
      if (alternatives.length < 2) fail('There must have at least 2 Objects in $or relationship.');
    } else if (Array.isArray(value)) {
      if (value.length === 0) fail('Empty arrays are not allowed');
      for (const matcher of value) checkMatcher(matcher);
    } else if (isObject(value)) {
      checkObject(value);
    } else {
      fail(`"${key}" must be an object or an array`);
    }
  }
}

function checkMatcher(matcher: unknown): void {
  if (matcher === null || typeof matcher === 'string' || typeof matcher === 'boolean') return;
  if (typeof matcher === 'number') {
    if (!Number.isFinite(matcher)) fail('Match value must be String, number, true, false, or null');
    return;
  }
  if (!isObject(matcher)) fail('Match value must be String, number, true, false, or null');
  const keys = Object.keys(matcher as JsonObject);
  const [name] = keys;
  if (name === undefined) fail('Match expression name not found');
  if (keys.length > 1) fail('Only one key allowed in match expression');
  const value = (matcher as JsonObject)[name as string];
  switch (name) {
    case 'prefix':
    case 'suffix':
      if (typeof value === 'string') return;
      if (
        isObject(value) &&
        Object.keys(value).length === 1 &&
        typeof value['equals-ignore-case'] === 'string'
      ) {
        return;
      }
      fail(`${name} match pattern must be a string`);
      return;
    case 'equals-ignore-case':
      if (typeof value !== 'string') fail('equals-ignore-case match pattern must be a string');
      return;
    case 'wildcard':
      if (typeof value !== 'string') fail('wildcard match pattern must be a string');
      wildcardRegex(value as string);
      return;
    case 'numeric':
      if (!Array.isArray(value)) fail('Value of numeric must be an array.');
      numericTests(value as unknown[]);
      return;
    case 'exists':
      if (typeof value !== 'boolean') fail('exists match pattern must be either true or false.');
      return;
    case 'cidr':
      if (typeof value !== 'string') fail('cidr match pattern must be a string');
      cidrList(value as string);
      return;
    case 'anything-but':
      checkAnythingBut(value);
      return;
    default:
      fail(`Unrecognized match type ${name}`);
  }
}

function checkAnythingBut(value: unknown): void {
  if (typeof value === 'string') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      fail('Value of anything-but must be an array or single string/number value.');
    return;
  }
  if (Array.isArray(value)) {
    const strings = value.every((v) => typeof v === 'string');
    const numbers = value.every((v) => typeof v === 'number' && Number.isFinite(v));
    if (value.length === 0 || (!strings && !numbers)) {
      fail('Inside anything but list, either all values are number or string, mixed type is not supported');
    }
    return;
  }
  if (!isObject(value)) fail('Value of anything-but must be an array or single string/number value.');
  const keys = Object.keys(value as JsonObject);
  const [name] = keys;
  if (name === undefined) fail('Anything-But expression name not found');
  if (keys.length > 1) fail('Only one key allowed in match expression');
  const inner = (value as JsonObject)[name as string];
  switch (name) {
    case 'prefix':
    case 'suffix':
      if (typeof inner !== 'string') fail('prefix/suffix match pattern must be a string');
      if (inner === '') fail('Null prefix/suffix not allowed');
      return;
    case 'equals-ignore-case':
    case 'wildcard': {
      const list = Array.isArray(inner) ? inner : [inner];
      if (list.length === 0 || !list.every((v) => typeof v === 'string')) {
        fail(`Inside anything-but/${name} list, number|start|null|boolean is not supported.`);
      }
      if (name === 'wildcard') for (const w of list) wildcardRegex(w as string);
      return;
    }
    default:
      fail(`Unsupported anything-but pattern: ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Operators (each compiles once and is cached, since the same rule is checked against every event)

type NumericTest = (n: number) => boolean;

const numericCache = new WeakMap<unknown[], NumericTest[]>();

function numericTests(terms: unknown[]): NumericTest[] {
  const cached = numericCache.get(terms);
  if (cached) return cached;
  const tests: NumericTest[] = [];
  const operand = (op: string, value: unknown): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`Value of ${op} must be numeric`);
    if (value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
      return fail('Value must be between -5.0E9 and 5.0E9, inclusive');
    }
    return value;
  };
  const [op1, v1, op2, v2, ...rest] = terms;
  if (typeof op1 !== 'string') return fail(`Invalid member in numeric match: ${JSON.stringify(op1)}`);
  const first = operand(op1, v1);
  switch (op1) {
    case '=':
      if (terms.length > 2) fail('Too many elements in numeric expression');
      tests.push((n) => n === first);
      break;
    case '<':
    case '<=':
      if (terms.length > 2) fail('Too many elements in numeric expression');
      tests.push(op1 === '<' ? (n) => n < first : (n) => n <= first);
      break;
    case '>':
    case '>=':
      tests.push(op1 === '>' ? (n) => n > first : (n) => n >= first);
      if (terms.length > 2) {
        if (op2 !== '<' && op2 !== '<=') return fail(`Bad numeric range operator: ${String(op2)}`);
        const top = operand(op2, v2);
        if (rest.length > 0) fail('Too many terms in numeric range expression');
        if (top <= first) fail('Bottom must be less than top');
        tests.push(op2 === '<' ? (n) => n < top : (n) => n <= top);
      }
      break;
    default:
      fail(`Unrecognized numeric range operator: ${op1}`);
  }
  numericCache.set(terms, tests);
  return tests;
}

const wildcardCache = new Map<string, RegExp>();

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
function wildcardRegex(pattern: string): RegExp {
  const cached = wildcardCache.get(pattern);
  if (cached) return cached;
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') return fail(`Invalid escape character at pos ${i + 1}`);
      source += `\\${next}`;
      i++;
    } else if (ch === '*') {
      if (pattern[i + 1] === '*') return fail(`Consecutive wildcard characters at pos ${i + 1}`);
      source += '[\\s\\S]*';
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  const regex = new RegExp(`${source}$`);
  if (wildcardCache.size > 1000) wildcardCache.clear();
  wildcardCache.set(pattern, regex);
  return regex;
}

const cidrCache = new Map<string, { list: BlockList; family: 'ipv4' | 'ipv6' }>();

function cidrList(cidr: string): { list: BlockList; family: 'ipv4' | 'ipv6' } {
  const cached = cidrCache.get(cidr);
  if (cached) return cached;
  const [address = '', bits, ...extra] = cidr.split('/');
  const version = isIP(address);
  const prefix = bits === undefined ? (version === 6 ? 128 : 32) : Number(bits);
  if (
    version === 0 ||
    extra.length > 0 ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > (version === 6 ? 128 : 32)
  ) {
    return fail(`Malformed CIDR, one '/' required: ${cidr}`);
  }
  const family = version === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  const entry = { list, family } as const;
  cidrCache.set(cidr, entry);
  return entry;
}

// ---------------------------------------------------------------------------------------------------------
// Matching

function matchObject(pattern: JsonObject, event: JsonObject): boolean {
  for (const key in pattern) {
    const sub = pattern[key];
    if (key === '$or' && Array.isArray(sub)) {
      if (!sub.some((alternative) => isObject(alternative) && matchObject(alternative, event))) return false;
      continue;
    }
    const value = Object.hasOwn(event, key) ? event[key] : undefined;
    if (Array.isArray(sub)) {
      if (!matchLeaf(sub, value)) return false;
    } else if (isObject(sub)) {
      if (!matchNested(sub, value)) return false;
    } else {
      return false;
    }
  }
  return true;
}

/** A nested pattern against an event value: an object, an array of objects (any element), or nothing. */
function matchNested(pattern: JsonObject, value: unknown): boolean {
  if (isObject(value)) return matchObject(pattern, value);
  if (Array.isArray(value)) {
    const elements = objectsIn(value);
    if (elements.length > 0) return elements.some((element) => matchObject(pattern, element));
  }
  return matchObject(pattern, {});
}

function objectsIn(values: unknown[], out: JsonObject[] = []): JsonObject[] {
  for (const value of values) {
    if (isObject(value)) out.push(value);
    else if (Array.isArray(value)) objectsIn(value, out);
  }
  return out;
}

/** The leaf values at a field: scalars (null included) and scalars inside arrays; objects are not leaves. */
function leafValues(value: unknown, out: unknown[] = []): unknown[] {
  if (value === undefined || isObject(value)) return out;
  if (Array.isArray(value)) {
    for (const element of value) leafValues(element, out);
    return out;
  }
  out.push(value);
  return out;
}

function matchLeaf(matchers: unknown[], value: unknown): boolean {
  const values = leafValues(value);
  if (values.length === 0) return matchers.some((m) => isObject(m) && m.exists === false);
  for (const matcher of matchers) {
    for (const v of values) if (matchOne(matcher, v)) return true;
  }
  return false;
}

const lower = (s: string): string => s.toLowerCase();

function matchOne(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  for (const name in matcher) {
    const spec = matcher[name];
    switch (name) {
      case 'prefix':
        return matchPrefixOrSuffix('prefix', spec, value);
      case 'suffix':
        return matchPrefixOrSuffix('suffix', spec, value);
      case 'equals-ignore-case':
        return typeof value === 'string' && typeof spec === 'string' && lower(value) === lower(spec);
      case 'wildcard':
        return typeof value === 'string' && typeof spec === 'string' && wildcardRegex(spec).test(value);
      case 'numeric':
        return typeof value === 'number' && Array.isArray(spec) && numericTests(spec).every((t) => t(value));
      case 'exists':
        return spec === true;
      case 'cidr': {
        if (typeof value !== 'string' || typeof spec !== 'string') return false;
        const version = isIP(value);
        if (version === 0) return false;
        const { list, family } = cidrList(spec);
        return (version === 6 ? 'ipv6' : 'ipv4') === family && list.check(value, family);
      }
      case 'anything-but':
        return !excludedBy(spec, value);
      default:
        return false;
    }
  }
  return false;
}

function matchPrefixOrSuffix(kind: 'prefix' | 'suffix', spec: unknown, value: unknown): boolean {
  if (typeof value !== 'string') return false;
  let needle: string;
  let haystack = value;
  if (typeof spec === 'string') {
    needle = spec;
  } else if (isObject(spec) && typeof spec['equals-ignore-case'] === 'string') {
    needle = lower(spec['equals-ignore-case']);
    haystack = lower(value);
  } else {
    return false;
  }
  return kind === 'prefix' ? haystack.startsWith(needle) : haystack.endsWith(needle);
}

/** Whether an anything-but specification names this value (so anything-but does not match it). */
function excludedBy(spec: unknown, value: unknown): boolean {
  if (Array.isArray(spec)) return spec.some((excluded) => excluded === value);
  if (!isObject(spec)) return spec === value;
  const asList = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).filter((s) => typeof s === 'string');
  if (typeof value !== 'string') return false;
  for (const name in spec) {
    const inner = spec[name];
    switch (name) {
      case 'prefix':
        return typeof inner === 'string' && value.startsWith(inner);
      case 'suffix':
        return typeof inner === 'string' && value.endsWith(inner);
      case 'equals-ignore-case':
        return asList(inner).some((s) => lower(s) === lower(value));
      case 'wildcard':
        return asList(inner).some((s) => wildcardRegex(s).test(value));
      default:
        return false;
    }
  }
  return false;
}
