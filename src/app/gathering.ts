/**
 * Gathers the launches of one SQS batch so that requests that can share a RunTask call meet: the batch's
 * records are processed at once, each reaches RunTask after its own checks (a read, a budget claim), and the
 * launches are handed over together when every record still working has handed its over or finished. A
 * record that waits on another (a schedule's due times run in turn) would hold the others back: after
 * `maxWaitMs` what is there goes anyway.
 */
export class Gathering<T> {
  private working: number;
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    records: number,
    private readonly flush: (items: T[]) => void,
    private readonly maxWaitMs = 100,
  ) {
    this.working = records;
  }

  /** A record hands over its launch and waits for it. */
  add(item: T): void {
    this.pending.push(item);
    this.working--;
    if (this.working <= 0) this.go();
    else this.timer ??= setTimeout(() => this.go(), this.maxWaitMs);
  }

  /** The record whose launch was handled works on (it may hand over another). */
  resume(): void {
    this.working++;
  }

  /** A record has finished (with or without a launch). */
  finish(): void {
    this.working--;
    if (this.working <= 0 && this.pending.length > 0) this.go();
  }

  private go(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const items = this.pending;
    this.pending = [];
    if (items.length > 0) this.flush(items);
  }
}
