import { describe, expect, it } from 'vitest';
import { csvCell, metricsCsv } from '../../core/metrics/csv';
import { metricsReport } from '../../core/metrics/report';
import { AggregateStore, captured, moved } from './metrics-fixtures';

/** A small RFC 4180 reader, to check that what we write reads back as written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted && char === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (char === '"') {
      quoted = !quoted;
    } else if (!quoted && char === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += char;
    }
  }
  return rows;
}

describe('CSV cells', () => {
  it('quotes text with commas, quotes and line breaks, doubling quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
  });

  it('writes numbers plainly with at most 4 decimals, and nulls as empty cells', () => {
    expect(csvCell(12)).toBe('12');
    expect(csvCell(0.75)).toBe('0.75');
    expect(csvCell(1 / 3)).toBe('0.3333');
    expect(csvCell(null)).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@sum')).toBe("'@sum");
  });
});

describe('metrics CSV', () => {
  const store = new AggregateStore();
  store.fold(
    [
      captured('2026-03-02T10:00:00.000Z', 'news, "weekly"'),
      captured('2026-03-02T11:00:00.000Z', 'google'),
      moved('2026-03-03T10:00:00.000Z', 'new', 'qualified', 86_400, { source: 'google', owner: 'sam@example.com' }),
    ],
    '2026-04-01T00:00:00.000Z',
  );

  it('has a stable header and one row per group, CRLF line ends', () => {
    const csv = metricsCsv(metricsReport({ from: '2026-03-01', to: '2026-03-03', groupBy: 'day' }, store.all()));
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows[0]!.slice(0, 4)).toEqual(['day', 'leads', 'qualified', 'qualification_rate']);
    expect(rows[0]).toContain('conversion_presentation');
    expect(rows[0]).toContain('cycle_median_days');
    expect(rows[0]).toContain('email_open_rate');
    expect(rows.map((row) => row[0])).toEqual(['day', '2026-03-01', '2026-03-02', '2026-03-03']);
    expect(rows.every((row) => row.length === rows[0]!.length)).toBe(true);
    const column = (name: string) => rows[0]!.indexOf(name);
    expect(rows[2]![column('leads')]).toBe('2');
    expect(rows[3]![column('qualified')]).toBe('1');
    expect(rows[3]![column('conversion_new')]).toBe('1');
    expect(rows[3]![column('avg_days_in_new')]).toBe('1');
    expect(rows[1]![column('win_rate')]).toBe('');
  });

  it('gives each currency its own deal columns, never one sum across currencies', () => {
    const deals = new AggregateStore();
    deals.fold(
      [
        moved('2026-03-02T10:00:00.000Z', 'closing', 'won', 60, { dealValue: 1000, currency: 'USD' }),
        moved('2026-03-02T11:00:00.000Z', 'closing', 'won', 60, { dealValue: 3000, currency: 'USD' }),
        moved('2026-03-03T10:00:00.000Z', 'closing', 'won', 60, { dealValue: 500, currency: 'EUR' }),
      ],
      '2026-04-01T00:00:00.000Z',
    );
    const rows = parseCsv(metricsCsv(metricsReport({ from: '2026-03-02', to: '2026-03-03', groupBy: 'day' }, deals.all())));
    expect(rows[0]!.slice(-7)).toEqual([
      'email_complaint_rate',
      'deals_EUR',
      'deal_value_total_EUR',
      'deal_value_average_EUR',
      'deals_USD',
      'deal_value_total_USD',
      'deal_value_average_USD',
    ]);
    expect(rows[0]).not.toContain('deal_value_total');
    const column = (name: string) => rows[0]!.indexOf(name);
    expect([rows[1]![column('deals')], rows[1]![column('deals_USD')], rows[1]![column('deal_value_total_USD')]]).toEqual([
      '2',
      '2',
      '4000',
    ]);
    expect(rows[1]![column('deal_value_average_USD')]).toBe('2000');
    expect([rows[1]![column('deals_EUR')], rows[1]![column('deal_value_average_EUR')]]).toEqual(['0', '']);
    expect([rows[2]![column('deals_EUR')], rows[2]![column('deal_value_total_EUR')]]).toEqual(['1', '500']);
  });

  it('reads back source names that need quoting', () => {
    const rows = parseCsv(metricsCsv(metricsReport({ from: '2026-03-01', to: '2026-03-03', groupBy: 'source' }, store.all())));
    expect(rows.map((row) => row[0])).toEqual(['source', 'google', 'news, "weekly"']);
  });

  it('has only the header for a grouping with no rows', () => {
    const csv = metricsCsv(metricsReport({ from: '2025-01-01', to: '2025-01-31', groupBy: 'owner' }, store.all()));
    expect(parseCsv(csv)).toHaveLength(1);
  });
});
