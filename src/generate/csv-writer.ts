import { closeSync, openSync, writeSync } from 'node:fs';

export interface CsvStyle {
  bom: boolean;
  crlf: boolean;
  /** Omit the newline after the last row. */
  noFinalNewline: boolean;
  /** Blank lines appended at the end. */
  trailingBlankLines: number;
}

/** Writes CSV rows with RFC 4180 quoting where a value needs it, buffered for speed. */
export class CsvWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedChars = 0;
  private first = true;
  private readonly eol: string;
  rows = 0;

  constructor(
    readonly path: string,
    header: string[],
    private readonly style: CsvStyle,
  ) {
    this.fd = openSync(path, 'w');
    this.eol = style.crlf ? '\r\n' : '\n';
    this.push((style.bom ? '\ufeff' : '') + header.join(','));
  }

  row(values: readonly string[]): void {
    let line = '';
    for (let i = 0; i < values.length; i++) {
      if (i > 0) line += ',';
      line += quote(values[i]!);
    }
    this.push(line);
    this.rows++;
  }

  close(): void {
    this.flush();
    let tail = this.style.noFinalNewline ? '' : this.eol;
    for (let i = 0; i < this.style.trailingBlankLines; i++) tail += this.eol;
    if (tail) writeSync(this.fd, tail);
    closeSync(this.fd);
  }

  private push(line: string): void {
    // The newline goes before each line but the first, so the last row may end without one.
    this.buffer.push(this.first ? line : this.eol + line);
    this.first = false;
    this.bufferedChars += line.length;
    if (this.bufferedChars > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.bufferedChars = 0;
  }
}

const NEEDS_QUOTES = /[",\r\n]/;
export function quote(v: string): string {
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
