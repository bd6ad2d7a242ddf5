/**
 * The ECS cluster query language, as the developer guide's "Cluster query language" page defines it:
 * `subject operator [argument]`, combined with and/&&, or/||, not/! and parentheses, e.g.
 *   attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d
 *   ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']
 *   not(task:group == database)
 * A small recursive-descent parser turns the text into a predicate over a container instance's facts.
 * UNCERTAIN: AWS's wording for an invalid expression is not published; ours names what is wrong.
 */
import { invalid } from './util';

/** What an expression can ask of a container instance. */
export interface InstanceFacts {
  agentConnected: boolean;
  agentVersion: string;
  /** name -> value; built-in capability attributes have no value */
  attributes: ReadonlyMap<string, string | undefined>;
  ec2InstanceId: string;
  /** epoch milliseconds */
  registeredAt: number;
  runningTasksCount: number;
  /** groups of the tasks the instance hosts */
  taskGroups: readonly string[];
}

export type InstancePredicate = (facts: InstanceFacts) => boolean;

type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'exists' | '!exists' | 'in' | '!in' | '=~' | '!~';

/** Each operator's word form (the page's table gives both). */
const OPERATOR_WORDS = new Map<string, Operator>([
  ['equals', '=='],
  ['not_equals', '!='],
  ['greater_than', '>'],
  ['greater_than_equal', '>='],
  ['less_than', '<'],
  ['less_than_equal', '<='],
  ['exists', 'exists'],
  ['not_exists', '!exists'],
  ['in', 'in'],
  ['not_in', '!in'],
  ['matches', '=~'],
  ['not_matches', '!~'],
]);

const EQUALITY: Operator[] = ['==', '!=', 'in', '!in', '=~', '!~'];
const ORDERING: Operator[] = ['==', '!=', '>', '>=', '<', '<='];

/** The operators the page lists per subject; it lists none for attributes and task groups. */
const SUBJECT_OPERATORS = new Map<string, Operator[]>([
  ['agentConnected', EQUALITY],
  ['agentVersion', ORDERING],
  ['ec2InstanceId', EQUALITY],
  ['registeredAt', ORDERING],
  ['runningTasksCount', ORDERING],
  ['task:group', EQUALITY],
  ['attribute:', [...EQUALITY, 'exists', '!exists']],
]);

const NEGATIVE_TO_POSITIVE = new Map<Operator, Operator>([
  ['!=', '=='],
  ['!in', 'in'],
  ['!~', '=~'],
]);

type Token =
  | { kind: 'punct'; text: '(' | ')' | '[' | ']' | ',' }
  | { kind: 'op'; text: Operator }
  | { kind: 'and' | 'or' | 'not' }
  | { kind: 'word'; text: string; quoted: boolean };

const fail = (detail: string) => invalid(`Invalid filter expression: ${detail}.`);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s+|([()[\],])|(&&|\|\|)|(==|!=|>=|<=|=~|!~|>|<)|(!(?:in|exists)\b)|(!)|'([^']*)'|"([^"]*)"|([^\s()[\],=!<>&|'"]+)/y;
  let at = 0;
  while (at < text.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) throw fail(`unexpected '${text.slice(at, at + 10)}' at position ${at}`);
    at = pattern.lastIndex;
    const [, punct, logical, symbol, negated, bang, single, double, word] = match;
    if (punct) tokens.push({ kind: 'punct', text: punct as '(' | ')' | '[' | ']' | ',' });
    else if (logical) tokens.push({ kind: logical === '&&' ? 'and' : 'or' });
    else if (symbol ?? negated) tokens.push({ kind: 'op', text: (symbol ?? negated) as Operator });
    else if (bang) tokens.push({ kind: 'not' });
    else if (single !== undefined || double !== undefined)
      tokens.push({ kind: 'word', text: single ?? double ?? '', quoted: true });
    else if (word === 'and' || word === 'or' || word === 'not') tokens.push({ kind: word });
    else if (word) tokens.push({ kind: 'word', text: word, quoted: false });
  }
  return tokens;
}

export function parseClusterQuery(text: string): InstancePredicate {
  const tokens = tokenize(text);
  let next = 0;
  const peek = () => tokens[next];
  const atPunct = (text: string) => {
    const token = peek();
    return token?.kind === 'punct' && token.text === text;
  };
  const describe = (token: Token | undefined) =>
    !token ? 'the end' : 'text' in token ? `'${token.text}'` : `'${token.kind}'`;
  const expect = (punct: string) => {
    const token = tokens[next++];
    if (token?.kind !== 'punct' || token.text !== punct)
      throw fail(`expected '${punct}' but found ${describe(token)}`);
  };

  const or = (): InstancePredicate => {
    const parts = [and()];
    while (peek()?.kind === 'or') {
      next++;
      parts.push(and());
    }
    return parts.length === 1 ? (parts[0] as InstancePredicate) : (f) => parts.some((p) => p(f));
  };
  const and = (): InstancePredicate => {
    const parts = [unary()];
    while (peek()?.kind === 'and') {
      next++;
      parts.push(unary());
    }
    return parts.length === 1 ? (parts[0] as InstancePredicate) : (f) => parts.every((p) => p(f));
  };
  const unary = (): InstancePredicate => {
    const token = peek();
    if (token?.kind === 'not') {
      next++;
      const inner = unary();
      return (f) => !inner(f);
    }
    if (atPunct('(')) {
      next++;
      const inner = or();
      expect(')');
      return inner;
    }
    return comparison();
  };
  const comparison = (): InstancePredicate => {
    const subject = tokens[next++];
    if (subject?.kind !== 'word' || subject.quoted)
      throw fail(`expected a subject but found ${describe(subject)}`);
    const operatorToken = tokens[next++];
    const operator =
      operatorToken?.kind === 'op'
        ? operatorToken.text
        : operatorToken?.kind === 'word' && !operatorToken.quoted
          ? OPERATOR_WORDS.get(operatorToken.text)
          : undefined;
    if (!operator)
      throw fail(`expected an operator after '${subject.text}' but found ${describe(operatorToken)}`);
    let argument: string[] = [];
    if (operator === 'in' || operator === '!in') {
      expect('[');
      argument.push(value());
      while (atPunct(',')) {
        next++;
        argument.push(value());
      }
      expect(']');
    } else if (operator !== 'exists' && operator !== '!exists') argument = [value()];
    return predicate(subject.text, operator, argument);
  };
  const value = (): string => {
    const token = tokens[next++];
    if (token?.kind !== 'word') throw fail(`expected a value but found ${describe(token)}`);
    return token.text;
  };

  if (tokens.length === 0) throw fail('it is empty');
  const result = or();
  if (next < tokens.length) throw fail(`unexpected ${describe(tokens[next])}`);
  return result;
}

/** One `subject operator argument` comparison, checked against what the subject allows. */
function predicate(subject: string, operator: Operator, argument: string[]): InstancePredicate {
  const attribute = subject.startsWith('attribute:') ? subject.slice('attribute:'.length) : undefined;
  const kind = attribute === undefined ? subject : 'attribute:';
  const allowed = SUBJECT_OPERATORS.get(kind);
  if (!allowed || attribute === '')
    throw fail(
      `unknown subject '${subject}' (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount, task:group)`,
    );
  if (!allowed.includes(operator)) throw fail(`'${operator}' does not apply to ${subject}`);

  switch (kind) {
    case 'attribute:':
      // Every comparison needs the attribute: `attribute:stack != prod` selects instances that have a
      // stack attribute other than prod (developer guide, "Filtering by attribute").
      if (operator === 'exists') return (f) => f.attributes.has(attribute as string);
      if (operator === '!exists') return (f) => !f.attributes.has(attribute as string);
      return compareText(operator, argument, (f) => f.attributes.get(attribute as string));
    case 'agentConnected':
      return compareText(operator, argument, (f) => String(f.agentConnected));
    case 'ec2InstanceId':
      return compareText(operator, argument, (f) => f.ec2InstanceId);
    case 'task:group': {
      // UNCERTAIN: the negative forms taken as "hosts no task in a matching group", as not(task:group == x).
      const positive = NEGATIVE_TO_POSITIVE.get(operator);
      const hosts = compareText(positive ?? operator, argument, (group: string) => group);
      return positive
        ? (f) => !f.taskGroups.some((group) => hosts(group))
        : (f) => f.taskGroups.some((group) => hosts(group));
    }
    case 'runningTasksCount': {
      const wanted = Number(argument[0]);
      if (!/^\d+$/.test(argument[0] ?? ''))
        throw fail(`runningTasksCount needs a whole number, not '${argument[0]}'`);
      return order(operator, (f) => f.runningTasksCount - wanted);
    }
    case 'agentVersion': {
      const wanted = versionParts(argument[0] ?? '');
      return order(operator, (f) => compareVersions(versionParts(f.agentVersion), wanted));
    }
    default: {
      const wanted = parseDate(argument[0] ?? '');
      // Registration times are compared to the second, the precision of the documented formats.
      return order(operator, (f) => Math.floor(f.registeredAt / 1000) * 1000 - wanted);
    }
  }
}

/** String operators; a missing value (an absent attribute) satisfies none of them. */
function compareText<T>(
  operator: Operator,
  argument: string[],
  read: (subject: T) => string | undefined,
): (subject: T) => boolean {
  const [first = ''] = argument;
  // Java regular expressions (java.util.regex.Pattern, matched against the whole value); JavaScript's agree
  // on everything the documented examples use. UNCERTAIN: whole-value rather than partial matching.
  const regex = operator === '=~' || operator === '!~' ? pattern(first) : undefined;
  const test = (actual: string): boolean => {
    switch (operator) {
      case '==':
        return actual === first;
      case '!=':
        return actual !== first;
      case 'in':
        return argument.includes(actual);
      case '!in':
        return !argument.includes(actual);
      default:
        return regex?.test(actual) === (operator === '=~');
    }
  };
  return (subject) => {
    const actual = read(subject);
    return actual !== undefined && test(actual);
  };
}

function pattern(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw fail(`'${source}' is not a valid regular expression`);
  }
}

/** Ordering operators over a signed difference (actual minus wanted). */
function order(operator: Operator, difference: (f: InstanceFacts) => number): InstancePredicate {
  const holds: Record<string, (d: number) => boolean> = {
    '==': (d) => d === 0,
    '!=': (d) => d !== 0,
    '>': (d) => d > 0,
    '>=': (d) => d >= 0,
    '<': (d) => d < 0,
    '<=': (d) => d <= 0,
  };
  const test = holds[operator] as (d: number) => boolean;
  return (f) => test(difference(f));
}

function versionParts(text: string): number[] {
  if (!/^\d+(\.\d+)*$/.test(text)) throw fail(`'${text}' is not an agent version such as 1.14.5`);
  return text.split('.').map(Number);
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The documented formats: 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28, 2018-06-18 (UTC). */
function parseDate(text: string): number {
  const match = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2})?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  const ms = match ? Date.parse(`${match[1]}${match[2] ?? 'T00:00:00'}${match[3] ?? 'Z'}`) : Number.NaN;
  if (Number.isNaN(ms) || (match?.[3] && !match[2]))
    throw fail(`'${text}' is not a date such as 2018-06-18T22:28:28Z or 2018-06-18`);
  return ms;
}
