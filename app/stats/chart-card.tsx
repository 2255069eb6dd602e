'use client';
// A chart with its title, a CSV export of exactly the rows it draws, and the same rows as a
// table for screen readers and for reading exact figures.
import type { ReactNode } from 'react';
import { type CsvColumn, toCsv } from '@/lib/stats/csv';

export function ChartCard<T>(props: {
  id: string;
  title: string;
  subtitle?: ReactNode;
  rows: readonly T[];
  columns: CsvColumn<T>[];
  fileName: string;
  loading: boolean;
  error?: string;
  children: ReactNode;
}) {
  const { id, rows, columns } = props;
  const download = () => {
    const url = URL.createObjectURL(new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = props.fileName;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <section className="chart-card" data-testid={`chart-${id}`} data-points={rows.length}>
      <header>
        <div>
          <h2>{props.title}</h2>
          {props.subtitle && <p className="muted">{props.subtitle}</p>}
        </div>
        <button type="button" onClick={download} disabled={rows.length === 0} data-testid={`csv-${id}`}>
          Export CSV
        </button>
      </header>
      {props.error ? (
        <p role="alert">{props.error}</p>
      ) : rows.length === 0 ? (
        <p className="muted chart-empty">{props.loading ? 'Loading…' : 'No data in this range yet.'}</p>
      ) : (
        <div className="chart">{props.children}</div>
      )}
      <details>
        <summary>Data ({rows.length} rows)</summary>
        <table data-testid={`table-${id}`}>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.header}>{c.header}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={i}>
                {columns.map((c) => (
                  <td key={c.header}>{String(c.value(row) ?? '')}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
