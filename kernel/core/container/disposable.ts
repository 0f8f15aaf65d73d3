/** Anything the container releases on shutdown (matches tsyringe's `Disposable`). */
export interface Disposable {
  dispose(): void | Promise<void>;
}

export function isDisposable(value: unknown): value is Disposable {
  return typeof value === 'object' && value !== null && typeof (value as { dispose?: unknown }).dispose === 'function';
}

/** One disposal that failed; disposal carries on past it. */
export interface DisposalFailure {
  /** `'root'` or the plugin name whose scope owned the object. */
  readonly scope: string;
  readonly error: unknown;
}

/**
 * Disposes `owned` newest first — things registered later may depend on earlier ones — one
 * at a time, each at most once across the whole container (`done` is shared), and never
 * throws: failures are returned.
 */
export async function disposeNewestFirst(
  owned: readonly Disposable[],
  scope: string,
  done: WeakSet<Disposable>,
): Promise<DisposalFailure[]> {
  const failures: DisposalFailure[] = [];
  for (let i = owned.length - 1; i >= 0; i--) {
    const item = owned[i];
    if (!item || done.has(item)) continue;
    done.add(item);
    try {
      await item.dispose();
    } catch (error) {
      failures.push({ scope, error });
    }
  }
  return failures;
}
