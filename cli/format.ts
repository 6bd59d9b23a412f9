import type { Output } from './context';

export type Cell = string | number | null | undefined;

/**
 * Rows as aligned columns under their headers: numbers to the right, text to the left, two spaces
 * apart; an empty cell is `-`.
 */
export function table(headers: string[], rows: Cell[][]): string {
  const texts = [headers, ...rows.map((row) => headers.map((_, column) => cellText(row[column])))];
  const numeric = headers.map(
    (_, column) => rows.some((row) => !isEmpty(row[column])) && rows.every((row) => isEmpty(row[column]) || isNumeric(row[column])),
  );
  const widths = headers.map((_, column) => Math.max(...texts.map((row) => row[column]?.length ?? 0)));
  const lines = texts.map((row) =>
    row
      .map((text, column) => (numeric[column] ? text.padStart(widths[column] ?? 0) : text.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

function cellText(cell: Cell): string {
  return isEmpty(cell) ? '-' : String(cell);
}

function isEmpty(cell: Cell): cell is null | undefined | '' {
  return cell === null || cell === undefined || cell === '';
}

/** A column of figures (some may be missing, or percentages) reads best right-aligned. */
function isNumeric(cell: Cell): boolean {
  return typeof cell === 'number' || /^[+-]?\d[\d.]*%?$/.test(String(cell));
}

/** A ratio (0.125) as a percentage (`12.5%`); undefined when there is no ratio (no denominator). */
export function percent(ratio: number | null | undefined): string | undefined {
  return ratio === null || ratio === undefined ? undefined : `${(ratio * 100).toFixed(1)}%`;
}

/** `key=value` pairs of a record, values as JSON unless plain text. */
export function compact(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`)
    .join(' ');
}

/**
 * Progress of a long operation on stderr: a bar redrawn in place on a terminal, else one plain line
 * each time the figures change (a log file or CI output gets no control characters).
 */
export class Progress {
  private lastLine = '';
  private drawn = false;

  constructor(private readonly output: Output) {}

  update(done: number, total: number, label: string): void {
    const line = this.output.isTTY ? `${bar(done, total)} ${label}` : label;
    if (line === this.lastLine) return;
    this.lastLine = line;
    if (this.output.isTTY) {
      this.output.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      this.output.write(`${line}\n`);
    }
  }

  /** Ends the bar's line, so what follows starts on its own. */
  finish(): void {
    if (this.drawn) this.output.write('\n');
    this.drawn = false;
  }
}

const BAR_WIDTH = 30;

function bar(done: number, total: number): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}
