/**
 * JSON with every object's keys in sorted order: equal values give equal text however they were built or
 * read back (a DynamoDB Map is "an unordered collection of name-value pairs", so an item read back need not
 * keep the order its members were written in).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}
