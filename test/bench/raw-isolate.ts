import ivm from 'isolated-vm';
import { BASELINE_MEMORY_MB } from './bench-plugin';

/**
 * A bare isolated-vm isolate for baselines: no bridge, no SDK, no limits beyond the heap, no
 * validation. What the sandbox adds on top of isolated-vm is the difference to this.
 */
export class RawIsolate {
  private constructor(
    readonly isolate: ivm.Isolate,
    readonly context: ivm.Context,
  ) {}

  static async create(): Promise<RawIsolate> {
    const isolate = new ivm.Isolate({ memoryLimit: BASELINE_MEMORY_MB });
    return new RawIsolate(isolate, await isolate.createContext());
  }

  async run(source: string): Promise<void> {
    await this.context.eval(source);
  }

  /** A Reference to a global function the isolate defined. */
  async functionRef<T extends (...args: never[]) => unknown>(name: string): Promise<ivm.Reference<T>> {
    const ref: ivm.Reference<T> = await this.context.global.get(name, { reference: true });
    if (ref.typeof !== 'function') throw new Error(`the raw isolate has no function ${name}`);
    return ref;
  }

  async setGlobal(name: string, value: ivm.Transferable): Promise<void> {
    await this.context.global.set(name, value);
  }

  dispose(): void {
    this.context.release();
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

/** Applies an in-isolate `(json: string) => string | Promise<string>` the cheapest way strings cross. */
export function applyJson(ref: ivm.Reference<(json: string) => unknown>, json: string): Promise<unknown> {
  return ref.apply(undefined, [json], { arguments: { copy: true }, result: { copy: true, promise: true } });
}

/**
 * The same, run on the host thread with `applySync`: no thread hop, and the isolate's
 * microtasks (its awaits) are drained before it returns. Blocks the event loop while it runs.
 */
export async function applyJsonOnHostThread(ref: ivm.Reference<(json: string) => unknown>, json: string): Promise<unknown> {
  return ref.applySync(undefined, [json], { arguments: { copy: true }, result: { copy: true, promise: true } });
}
