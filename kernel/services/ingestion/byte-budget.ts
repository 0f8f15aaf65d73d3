/**
 * Bytes of source data a run may hold between reading and committing, over every source it
 * reads at once: readers take their share before a read and give it back once the chunk is
 * written (or dropped). A request larger than the whole budget is granted alone, so one chunk
 * always fits.
 */
export class ByteBudget {
  private available: number;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(private readonly capacity: number) {
    this.available = capacity;
  }

  /** Resolves once `bytes` (at most the capacity) are reserved; the returned function gives them back (once). */
  async take(bytes: number): Promise<() => void> {
    const amount = Math.max(0, Math.min(bytes, this.capacity));
    if (this.waiting.length === 0 && amount <= this.available) {
      this.available -= amount;
    } else {
      await new Promise<void>((resolve) => this.waiting.push({ bytes: amount, grant: resolve }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.available += amount;
      this.grantWaiting();
    };
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0) {
      const first = this.waiting[0] as { bytes: number; grant: () => void };
      if (first.bytes > this.available) return;
      this.waiting.shift();
      this.available -= first.bytes;
      first.grant();
    }
  }
}
