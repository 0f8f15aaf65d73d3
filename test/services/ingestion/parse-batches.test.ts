import type { BatchCall, BatchSettled } from '../../../sandbox/isolate';
import { resolveLimits } from '../../../sandbox/isolate';
import type { AdapterSandbox } from '../../../kernel/services/ingestion';
import { ParseBatches } from '../../../kernel/services/ingestion/parse-batches';

/**
 * How the engine groups an adapter's parse calls: the batching decisions, against a sandbox
 * that records what crosses (a real one's batch semantics are tested in
 * test/sandbox/isolate/invoke-batch.test.ts).
 */

interface Crossing {
  kind: 'invoke' | 'batch';
  tags: string[];
  release: () => void;
}

function recordingSandbox(options: { batch?: boolean; failBatch?: boolean } = {}): { sandbox: AdapterSandbox; crossings: Crossing[] } {
  const crossings: Crossing[] = [];
  const tagOf = (args: unknown[]): string => (args[0] as { tag: string }).tag;
  const answer = (args: unknown[]): unknown => {
    const tag = tagOf(args);
    if (tag.startsWith('bad')) throw new Error(`parse of ${tag} threw`);
    return { parsed: tag };
  };
  const sandbox: AdapterSandbox = {
    limits: resolveLimits({}),
    disposed: false,
    invoke: async <T>(_method: string, args: unknown[] = []): Promise<T> => {
      await new Promise<void>((release) => crossings.push({ kind: 'invoke', tags: [tagOf(args)], release }));
      return answer(args) as T;
    },
  };
  if (options.batch !== false) {
    sandbox.invokeBatch = async (calls: readonly BatchCall[]): Promise<BatchSettled[]> => {
      await new Promise<void>((release) => crossings.push({ kind: 'batch', tags: calls.map((call) => tagOf(call.args)), release }));
      if (options.failBatch) throw new Error('the isolate died');
      return calls.map((call) => {
        try {
          return { value: answer(call.args) };
        } catch (error) {
          return { error };
        }
      });
    };
  }
  return { sandbox, crossings };
}

const lines = (bytes: number) => ({ text: 'x'.repeat(bytes), count: 1 });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ParseBatches', () => {
  it('sends the first call at once, and what waits meanwhile together, within the byte cap; each call gets its own answer', async () => {
    const { sandbox, crossings } = recordingSandbox();
    const batches = new ParseBatches(sandbox, 100);
    const results = ['a', 'b', 'c', 'bad-d', 'e'].map((tag) => batches.parse({ tag }, lines(40)).then((value) => ({ value }), (error: Error) => ({ error: error.message })));
    await tick();
    expect(crossings.map((c) => c.tags)).toEqual([['a']]);
    crossings[0]!.release();
    await tick();
    // 40 + 40 fit under 100; a third would not.
    expect(crossings.map((c) => c.tags)).toEqual([['a'], ['b', 'c']]);
    crossings[1]!.release();
    await tick();
    crossings[2]!.release();
    await tick();
    expect(crossings.map((c) => c.tags)).toEqual([['a'], ['b', 'c'], ['bad-d', 'e']]);
    expect(await Promise.all(results)).toEqual([
      { value: { parsed: 'a' } },
      { value: { parsed: 'b' } },
      { value: { parsed: 'c' } },
      { error: 'parse of bad-d threw' },
      { value: { parsed: 'e' } },
    ]);
  });

  it('sends a call over the cap alone, beside the batches', async () => {
    const { sandbox, crossings } = recordingSandbox();
    const batches = new ParseBatches(sandbox, 100);
    const small = batches.parse({ tag: 'small' }, lines(10));
    const big = batches.parse({ tag: 'big' }, lines(500));
    await tick();
    expect(crossings.map((c) => [c.kind, c.tags])).toEqual([
      ['batch', ['small']],
      ['invoke', ['big']],
    ]);
    for (const crossing of crossings) crossing.release();
    expect(await Promise.all([small, big])).toEqual([{ parsed: 'small' }, { parsed: 'big' }]);
  });

  it('rejects every call of a batch whose crossing failed, and goes on with the next', async () => {
    const { sandbox, crossings } = recordingSandbox({ failBatch: true });
    const batches = new ParseBatches(sandbox, 100);
    const first = batches.parse({ tag: 'a' }).catch((error: Error) => error.message);
    const second = batches.parse({ tag: 'b' }).catch((error: Error) => error.message);
    await tick();
    crossings[0]!.release();
    await tick();
    crossings[1]!.release();
    expect(await Promise.all([first, second])).toEqual(['the isolate died', 'the isolate died']);
  });

  it('uses plain invokes for a sandbox without invokeBatch', async () => {
    const { sandbox, crossings } = recordingSandbox({ batch: false });
    const batches = new ParseBatches(sandbox, 100);
    const both = Promise.all([batches.parse({ tag: 'a' }), batches.parse({ tag: 'b' })]);
    await tick();
    expect(crossings.map((c) => [c.kind, c.tags])).toEqual([
      ['invoke', ['a']],
      ['invoke', ['b']],
    ]);
    for (const crossing of crossings) crossing.release();
    expect(await both).toEqual([{ parsed: 'a' }, { parsed: 'b' }]);
  });
});
