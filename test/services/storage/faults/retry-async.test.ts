import { isTransientDatabaseError, retryAsync, retryDelayMs, RetryPresets, type RetryConfig } from '../../../../kernel/services/storage';

const config: RetryConfig = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 1_000, factor: 3, jitter: 0 };

function transient(message = 'connection refused'): Error {
  return Object.assign(new Error(message), { code: 'ECONNREFUSED' });
}

/** A sleep that records what it was asked to wait and never waits. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe('retryAsync', () => {
  it('retries transient failures and returns the first success', async () => {
    const { sleep, waits } = recordingSleep();
    let calls = 0;
    const result = await retryAsync(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw transient();
        return 'ok';
      },
      config,
      { isRetryable: isTransientDatabaseError, sleep },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([100, 300]);
  });

  it('fails at once on a permanent failure', async () => {
    const { sleep, waits } = recordingSleep();
    const syntax = Object.assign(new Error('syntax error at or near "selec"'), { code: '42601' });
    let calls = 0;
    await expect(
      retryAsync(
        async () => {
          calls++;
          throw syntax;
        },
        config,
        { isRetryable: isTransientDatabaseError, sleep },
      ),
    ).rejects.toBe(syntax);
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('gives up after maxAttempts with the last error, delays growing up to maxDelayMs', async () => {
    const { sleep, waits } = recordingSleep();
    const retries: number[] = [];
    let calls = 0;
    await expect(
      retryAsync(
        async (attempt) => {
          calls++;
          throw transient(`failure ${attempt}`);
        },
        { ...config, maxAttempts: 5 },
        { sleep, onRetry: ({ attempt }) => retries.push(attempt) },
      ),
    ).rejects.toThrow('failure 5');
    expect(calls).toBe(5);
    expect(retries).toEqual([1, 2, 3, 4]);
    expect(waits).toEqual([100, 300, 900, 1_000]);
  });

  it('maxAttempts 1 never retries', async () => {
    const { sleep, waits } = recordingSleep();
    await expect(retryAsync(async () => Promise.reject(transient()), { ...config, maxAttempts: 1 }, { sleep })).rejects.toThrow();
    expect(waits).toEqual([]);
  });

  it('stops when aborted while waiting, with the failure that made it wait', async () => {
    const controller = new AbortController();
    const failure = transient('server restarting');
    const sleep = async (): Promise<void> => {
      controller.abort();
      throw new Error('aborted');
    };
    let calls = 0;
    await expect(
      retryAsync(
        async () => {
          calls++;
          throw failure;
        },
        config,
        { sleep, signal: controller.signal },
      ),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
  });

  it('waits on real timers by default (fake timers advance them)', async () => {
    jest.useFakeTimers();
    try {
      let calls = 0;
      const running = retryAsync(
        async () => {
          calls++;
          if (calls === 1) throw transient();
          return calls;
        },
        config,
      );
      await jest.advanceTimersByTimeAsync(99);
      expect(calls).toBe(1);
      await jest.advanceTimersByTimeAsync(1);
      await expect(running).resolves.toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses a nonsensical config', async () => {
    await expect(retryAsync(async () => 1, { ...config, maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
  });
});

describe('retryDelayMs', () => {
  it('spreads each delay by at most ±jitter', () => {
    const jittery: RetryConfig = { ...config, jitter: 0.5 };
    expect(retryDelayMs(jittery, 2, 0)).toBe(150);
    expect(retryDelayMs(jittery, 2, 0.5)).toBe(300);
    expect(retryDelayMs(jittery, 2, 0.999_999)).toBe(450);
  });

  it('the presets are valid, bounded, and grow', () => {
    for (const preset of Object.values(RetryPresets)) {
      expect(preset.maxAttempts).toBeGreaterThan(1);
      expect(retryDelayMs({ ...preset, jitter: 0 }, 2)).toBeGreaterThan(retryDelayMs({ ...preset, jitter: 0 }, 1));
      expect(retryDelayMs({ ...preset, jitter: 0 }, 50)).toBe(preset.maxDelayMs);
    }
  });
});

describe('isTransientDatabaseError', () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '08006', '08001', '57P01', '57P02', '57P03', '40001', '40P01', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT'])(
    '%s is transient',
    (code) => expect(isTransientDatabaseError(withCode(code))).toBe(true),
  );

  it.each(['42601', '23505', '42P01', '28P01', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'ENOTFOUND'])('%s is not', (code) =>
    expect(isTransientDatabaseError(withCode(code))).toBe(false),
  );

  it('looks through a wrapping error and an AggregateError', () => {
    expect(isTransientDatabaseError(new Error('wrapped', { cause: withCode('40P01') }))).toBe(true);
    expect(isTransientDatabaseError(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDatabaseError('nope')).toBe(false);
  });
});
