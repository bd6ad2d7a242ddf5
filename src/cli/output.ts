/**
 * What the CLI prints: aligned text tables and YAML for people (the default), JSON for scripts
 * (`--output json`: the API's answer as it came).
 */
import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | undefined | null;
}

const GAP = '  ';

/** Rows under their headers, each column as wide as its widest cell; blank for none. */
export function table<Row>(columns: Column<Row>[], rows: Row[]): string {
  const cells = rows.map((row) => columns.map((c) => String(c.value(row) ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export const yaml = (value: unknown): string => stringify(value, { lineWidth: 0 }).trimEnd();

/** The last part of an ARN (a task id from a task ARN). */
export const lastSegment = (arn: string | undefined): string | undefined => arn?.split('/').pop();

type Json = Record<string, unknown>;

const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * For an answer no command renders on its own: a list (the answer's one array of objects) as a table of
 * its scalar fields, anything else as YAML.
 */
export function genericView(body: unknown): string {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const entries = Object.entries(body as Json);
    const lists = entries.filter(([, v]) => Array.isArray(v) && v.every((i) => i && typeof i === 'object'));
    const [list] = lists;
    if (lists.length === 1 && list && entries.every(([k, v]) => k === list[0] || isScalar(v))) {
      const rows = list[1] as Json[];
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => isScalar(r[k]))))].map(
        (key) => ({ header: key.toUpperCase(), value: (r: Json) => r[key] as string }),
      );
      const rest = entries.filter(([k]) => k !== list[0]);
      return [
        rows.length ? table(columns, rows) : `(no ${list[0]})`,
        ...rest.map(([k, v]) => `${k}: ${v}`),
      ].join('\n');
    }
  }
  return yaml(body);
}

/** "more: --next-token <t>" under a page that has more. */
export const nextPage = (token: unknown) =>
  typeof token === 'string' ? [`\nmore: add --next-token ${token}`] : [];

/** Long waits: a line per step on stderr (stdout stays the answer, JSON included). */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}
