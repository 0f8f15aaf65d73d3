import ivm from 'isolated-vm';
import { compare, type Comparison, type SuiteResult } from '../bench-result';
import { BENCH_PLUGIN_NAME, BenchPluginFixture } from '../bench-plugin';
import { elapsedMs, elapsedUs, headToHead, now } from '../measure';
import { SMALL_PAYLOAD } from '../payloads';
import { applyJson, applyJsonOnHostThread, RawIsolate } from '../raw-isolate';

/** Capability calls awaited inside one invoke; the per-call figure is the invoke's time / this. */
const CALLS_PER_SAMPLE = 200;
const WARMUP = 5;
const ROUNDS = 20;
const PER_ROUND = 3;

/**
 * The raw isolate's side of the baselines: the same awaited loop as the plugin's, over three
 * ways isolated-vm lets an isolate call the host, each taking and returning a JSON string.
 *   rawSync     ivm.Callback (sync). Applied with `applySync` the isolate runs on the host
 *               thread and each call is a plain function call: the cheapest mechanism there
 *               is, but it blocks the event loop and cannot await host I/O. Applied with
 *               `apply` the isolate runs on its own thread and each call hops to the host.
 *   rawAsync    ivm.Callback {async: true}: the isolate gets a promise of the host's answer.
 *   relayCall   the bridge's own mechanism without its checks: an {ignored: true} Callback
 *               carries a call id out, the host answers by applying a `settle` Reference.
 */
const RAW_LOOPS = `
function loopOver(call) {
  return async function (n) {
    let last;
    for (let i = 0; i < n; i += 1) last = JSON.parse(await call('{}'));
    return JSON.stringify(last);
  };
}
const pending = new Map();
let nextId = 1;
globalThis.settle = function (id, payload) {
  const resolve = pending.get(id);
  pending.delete(id);
  resolve(payload);
};
function relayCall(argsJson) {
  const id = nextId++;
  return new Promise((resolve) => { pending.set(id, resolve); rawIgnored(id, argsJson); });
}
globalThis.syncLoop = loopOver(rawSync);
globalThis.asyncLoop = loopOver(rawAsync);
globalThis.relayLoop = loopOver(relayCall);
`;

type LoopRef = ivm.Reference<(json: string) => string>;

interface Variant {
  id: string;
  label: string;
  method: 'homeLoop' | 'kvGetLoop';
  baselineLabel: string;
  baseline: LoopRef;
  /** Run the baseline loop on the host thread (`applySync`) instead of the isolate's own. */
  onHostThread?: boolean;
  expected: unknown;
}

/**
 * Plugin → host round trip: a plugin method awaits `CALLS_PER_SAMPLE` capability calls
 * (`ctx.env.home()`, `ctx.kv.get`) through the real bridge, relay and capability host; the
 * baselines run the same loop in a bare isolate against raw host functions.
 */
export async function pluginToHost(): Promise<SuiteResult> {
  const began = now();
  const fixture = await BenchPluginFixture.create();
  await fixture.kv.set(BENCH_PLUGIN_NAME, 'bench', SMALL_PAYLOAD);
  const { sandbox, stop } = await fixture.running();
  const raw = await RawIsolate.create();
  const comparisons: Comparison[] = [];
  try {
    const homeReply = JSON.stringify(fixture.dir);
    const kvReply = JSON.stringify(SMALL_PAYLOAD);
    let reply = homeReply;
    await raw.setGlobal('rawSync', new ivm.Callback((argsJson: string) => (argsJson === '{}' ? reply : 'null')));
    await raw.setGlobal('rawAsync', new ivm.Callback((argsJson: string) => (argsJson === '{}' ? reply : 'null'), { async: true }));
    let settle: ivm.Reference<(id: number, payload: string) => void> | undefined;
    await raw.setGlobal(
      'rawIgnored',
      new ivm.Callback(
        (id: number) => {
          // Answered on a later tick, as the relay answers after its handler's promise settles.
          void Promise.resolve().then(() =>
            settle?.apply(undefined, [id, reply], { arguments: { copy: true } }).catch((error: unknown) => {
              console.error('raw relay baseline: settle failed', error);
            }),
          );
        },
        { ignored: true },
      ),
    );
    await raw.run(RAW_LOOPS);
    settle = await raw.functionRef<(id: number, payload: string) => void>('settle');
    const syncLoop = await raw.functionRef<(json: string) => string>('syncLoop');
    const asyncLoop = await raw.functionRef<(json: string) => string>('asyncLoop');
    const relayLoop = await raw.functionRef<(json: string) => string>('relayLoop');

    const variants: Variant[] = [
      { id: 'plugin-to-host.env-home', label: 'plugin → host ctx.env.home()', method: 'homeLoop', baselineLabel: 'raw sync ivm.Callback, loop run by applySync (host thread)', baseline: syncLoop, onHostThread: true, expected: fixture.dir },
      { id: 'plugin-to-host.env-home.sync-hop', label: 'plugin → host ctx.env.home()', method: 'homeLoop', baselineLabel: 'raw sync ivm.Callback, loop run by apply (isolate thread)', baseline: syncLoop, expected: fixture.dir },
      { id: 'plugin-to-host.env-home.async', label: 'plugin → host ctx.env.home()', method: 'homeLoop', baselineLabel: 'raw async ivm.Callback', baseline: asyncLoop, expected: fixture.dir },
      { id: 'plugin-to-host.env-home.relay', label: 'plugin → host ctx.env.home()', method: 'homeLoop', baselineLabel: 'raw ignored Callback + settle Reference (the bridge, unchecked)', baseline: relayLoop, expected: fixture.dir },
      { id: 'plugin-to-host.kv-get', label: 'plugin → host ctx.kv.get()', method: 'kvGetLoop', baselineLabel: 'raw sync ivm.Callback, loop run by applySync (host thread)', baseline: syncLoop, onHostThread: true, expected: SMALL_PAYLOAD },
    ];
    for (const variant of variants) {
      reply = variant.method === 'homeLoop' ? homeReply : kvReply;
      const ours = (): Promise<unknown> => sandbox.invoke(variant.method, [CALLS_PER_SAMPLE]);
      const apply = variant.onHostThread ? applyJsonOnHostThread : applyJson;
      const baseline = async (): Promise<unknown> => JSON.parse(String(await apply(variant.baseline, String(CALLS_PER_SAMPLE)))) as unknown;
      const expected = JSON.stringify(variant.expected);
      if (JSON.stringify(await ours()) !== expected) throw new Error(`${variant.id}: the plugin's loop returned something else than ${expected}`);
      if (JSON.stringify(await baseline()) !== expected) throw new Error(`${variant.id}: the raw loop returned something else than ${expected}`);
      const perCall = (start: bigint, end: bigint): number => elapsedUs(start, end) / CALLS_PER_SAMPLE;
      const measured = await headToHead({ warmup: WARMUP, rounds: ROUNDS, perRound: PER_ROUND, ours, baseline, toUnit: perCall });
      comparisons.push(
        compare({
          id: variant.id, label: variant.label, unit: 'µs',
          ...measured,
          baselineLabel: variant.baselineLabel,
          note: `per call = one invoke awaiting ${CALLS_PER_SAMPLE} calls / ${CALLS_PER_SAMPLE}; ${ROUNDS * PER_ROUND} invokes each`,
        }),
      );
    }
    for (const ref of [settle, syncLoop, asyncLoop, relayLoop]) ref.release();
  } finally {
    raw.dispose();
    await stop();
    await fixture.cleanup();
  }
  return { suite: 'plugin-to-host', title: 'Plugin → host call round trip', comparisons, figures: [], durationMs: elapsedMs(began) };
}
