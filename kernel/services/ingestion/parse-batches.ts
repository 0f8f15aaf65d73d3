import type { LinesText } from '../../../sandbox/isolate';
import type { AdapterSandbox } from './ingest-run';

interface Waiting {
  input: Record<string, unknown>;
  lines?: LinesText;
  bytes: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * An adapter's `parse` calls, sent together: while one crossing into the isolate is under way
 * the calls made meanwhile wait, and go as one `invokeBatch` when it returns (up to `maxBytes`
 * of lines). A crossing costs ~100 µs of the host thread whatever it carries, and a run over
 * thousands of small transcripts (every one that grew since the last report) made one each; the
 * isolate parses one call at a time either way, so nothing waits longer than it did. The first
 * call goes alone at once; a call of more than `maxBytes` goes alone beside the batches. Each
 * call settles as its own `invoke` would. A sandbox without `invokeBatch` gets plain invokes.
 */
export class ParseBatches {
  private readonly waiting: Waiting[] = [];
  private sending = false;

  constructor(
    private readonly sandbox: AdapterSandbox,
    /** Lines one crossing carries at most: the reply must stay under the sandbox's result limit. */
    private readonly maxBytes: number,
  ) {}

  parse(input: Record<string, unknown>, lines?: LinesText): Promise<unknown> {
    const bytes = lines?.text.length ?? 0;
    if (this.sandbox.invokeBatch === undefined || bytes > this.maxBytes) return this.sandbox.invoke('parse', [input], lines === undefined ? {} : { lines });
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, lines, bytes, resolve, reject });
      this.send();
    });
  }

  private send(): void {
    if (this.sending || this.waiting.length === 0) return;
    let bytes = 0;
    let count = 0;
    while (count < this.waiting.length && (count === 0 || bytes + (this.waiting[count] as Waiting).bytes <= this.maxBytes)) {
      bytes += (this.waiting[count] as Waiting).bytes;
      count += 1;
    }
    const batch = this.waiting.splice(0, count);
    this.sending = true;
    const invokeBatch = this.sandbox.invokeBatch as NonNullable<AdapterSandbox['invokeBatch']>;
    invokeBatch
      .call(
        this.sandbox,
        batch.map(({ input, lines }) => ({ method: 'parse', args: [input], ...(lines === undefined ? {} : { lines }) })),
      )
      .then(
        (settled) =>
          batch.forEach((call, index) => {
            const outcome = settled[index];
            if (outcome !== undefined && 'value' in outcome) call.resolve(outcome.value);
            else call.reject(outcome === undefined ? new Error('invokeBatch answered fewer calls than it was sent') : outcome.error);
          }),
        (error: unknown) => batch.forEach((call) => call.reject(error)),
      )
      .finally(() => {
        this.sending = false;
        this.send();
      });
  }
}
