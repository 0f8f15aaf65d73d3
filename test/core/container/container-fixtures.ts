import { createLogger } from '../../../kernel/core/logging';
import { provideValue, Tokens, type ServiceRegistration } from '../../../kernel/core/container';
import { CaptureStream } from '../logging/capture-stream';

/** A disposable that writes its name into a shared journal when disposed. */
export class JournalDisposable {
  disposals = 0;
  constructor(
    readonly name: string,
    private readonly journal: string[],
    private readonly failWith?: Error,
  ) {}

  async dispose(): Promise<void> {
    this.disposals++;
    this.journal.push(this.name);
    await Promise.resolve();
    if (this.failWith) throw this.failWith;
  }
}

/** A JSON logger writing into a capture stream, registered under `Tokens.Logger`. */
export function capturedLogger(): { out: CaptureStream; registration: ServiceRegistration } {
  const out = new CaptureStream();
  return { out, registration: provideValue(Tokens.Logger, createLogger({ level: 'debug', pretty: false, destination: out })) };
}
