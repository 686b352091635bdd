// Incremental JSON Lines reader: each poll reads only the bytes appended since the last one, so
// the dashboard can follow a growing run cheaply. A last line without its newline is taken only
// if it already parses (the trainer may be mid-write). A file that shrank or was replaced (a new
// inode: the trainer rewrites its logs atomically when it resumes from a checkpoint) is read anew.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { InputError } from '../util/errors.js';

export type RowParser<T> = (value: Record<string, unknown>, at: { file: string; line: number }) => T;

export interface PollResult {
  /** Rows added by this poll. */
  added: number;
  /** True when the file shrank, was replaced or vanished, and the rows were started over. */
  reset: boolean;
}

const NEWLINE = 0x0a;

export class JsonlTail<T> {
  /** Every row read so far, in file order. */
  rows: T[] = [];
  /**
   * The number of a last line without its newline that is not yet a whole JSON object (left out
   * until it is): a line being written, or one a stopped or killed run cut short. Null when none.
   */
  incompleteLine: number | null = null;
  private offset = 0;
  /** Inode of the file read so far; a different one means the file was replaced. */
  private ino = -1;
  private lineNo = 0;
  /** The last poll consumed a final line that had no newline yet; its newline is still to come. */
  private owesNewline = false;

  constructor(
    readonly file: string,
    private readonly parse: RowParser<T>,
  ) {}

  private restart(): void {
    this.rows = [];
    this.offset = 0;
    this.ino = -1;
    this.lineNo = 0;
    this.owesNewline = false;
    this.incompleteLine = null;
  }

  poll(): PollResult {
    if (!existsSync(this.file)) {
      const reset = this.offset > 0;
      if (reset) this.restart();
      return { added: 0, reset };
    }
    const st = statSync(this.file);
    const size = st.size;
    let reset = false;
    if (size < this.offset || (this.offset > 0 && st.ino !== this.ino)) {
      this.restart();
      reset = true;
    }
    this.ino = st.ino;
    if (size === this.offset) return { added: 0, reset };
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    let start = 0;
    if (this.owesNewline && buf[0] === NEWLINE) start = 1;
    const lastNl = buf.lastIndexOf(NEWLINE);
    const completeEnd = lastNl >= start ? lastNl + 1 : start;
    const fresh: T[] = [];
    let lineNo = this.lineNo;
    const take = (raw: string, mustParse: boolean): boolean => {
      lineNo += 1;
      const text = raw.trim();
      if (text === '') return true;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        if (!mustParse) return false;
        throw new InputError({ file: this.file, line: lineNo }, `not valid JSON (${(err as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        if (!mustParse) return false;
        throw new InputError({ file: this.file, line: lineNo }, 'expected a JSON object');
      }
      fresh.push(this.parse(value as Record<string, unknown>, { file: this.file, line: lineNo }));
      return true;
    };
    if (completeEnd > start) {
      const lines = buf.subarray(start, completeEnd - 1).toString('utf8').split('\n');
      for (const line of lines) take(line, true);
    }
    let consumed = completeEnd;
    let owesNewline = this.owesNewline && start === 0 && completeEnd === 0;
    this.incompleteLine = null;
    if (completeEnd < buf.length) {
      // A final line without newline: keep it only if it is already a whole JSON object.
      const before = lineNo;
      if (take(buf.subarray(completeEnd).toString('utf8'), false)) {
        consumed = buf.length;
        owesNewline = true;
      } else {
        this.incompleteLine = lineNo;
        lineNo = before;
      }
    } else if (completeEnd > start || start === 1) owesNewline = false;
    // One at a time: push(...fresh) over a long run's first read (200,000 lines) overflows the stack.
    for (const row of fresh) this.rows.push(row);
    this.offset += consumed;
    this.lineNo = lineNo;
    this.owesNewline = owesNewline;
    return { added: fresh.length, reset };
  }
}
