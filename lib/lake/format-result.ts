// A query's rows as text: an aligned table for people, or CSV for tools.
const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
};

const csvCell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export function formatResult(columns: string[], rows: unknown[][], format: 'table' | 'csv'): string {
  const text = rows.map((r) => r.map(cell));
  if (format === 'csv') return [columns, ...text].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((s, i) => s.padEnd(widths[i]!)).join(' | ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...text.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}
