import { compare, type Comparison, type SuiteResult } from '../bench-result';
import { BenchPluginFixture } from '../bench-plugin';
import { elapsedMs, elapsedUs, headToHead, now } from '../measure';
import { jsonBytes, SMALL_PAYLOAD, usageRecordsPayload } from '../payloads';
import { applyJson, RawIsolate } from '../raw-isolate';

/** In-isolate echo for the baseline: the same JSON parse and stringify the SDK dispatcher does. */
const RAW_ECHO = `globalThis.echo = async function (json) { return JSON.stringify(JSON.parse(json)); };`;

interface Variant {
  id: string;
  label: string;
  payload: unknown;
  warmup: number;
  rounds: number;
  perRound: number;
}

const VARIANTS = (): Variant[] => [
  { id: 'host-to-plugin.small', label: 'host → plugin invoke, small payload', payload: SMALL_PAYLOAD, warmup: 500, rounds: 20, perRound: 250 },
  { id: 'host-to-plugin.64k', label: 'host → plugin invoke, ~64 KB payload', payload: usageRecordsPayload(64 * 1024), warmup: 50, rounds: 10, perRound: 50 },
];

/**
 * Host → plugin round trip: `sandbox.invoke('echo', [payload])` through the SDK dispatcher,
 * against a raw `Reference.apply` of an in-isolate function taking and returning a JSON string.
 * Both sides stringify on the host, parse and stringify in the isolate, and parse the reply.
 */
export async function hostToPlugin(): Promise<SuiteResult> {
  const began = now();
  const fixture = await BenchPluginFixture.create();
  const { sandbox, stop } = await fixture.running();
  const raw = await RawIsolate.create();
  const comparisons: Comparison[] = [];
  try {
    await raw.run(RAW_ECHO);
    const echo = await raw.functionRef<(json: string) => string>('echo');
    for (const variant of VARIANTS()) {
      const ours = (): Promise<unknown> => sandbox.invoke('echo', [variant.payload]);
      const baseline = async (): Promise<unknown> => JSON.parse(String(await applyJson(echo, JSON.stringify(variant.payload)))) as unknown;
      checkEcho(variant, await ours(), await baseline());
      const measured = await headToHead({ ...variant, ours, baseline, toUnit: elapsedUs });
      comparisons.push(
        compare({
          id: variant.id, label: variant.label, unit: 'µs',
          ...measured,
          baselineLabel: 'raw ivm Reference.apply, JSON string in and out',
          note: `payload ${jsonBytes(variant.payload)} bytes of JSON; ${variant.rounds * variant.perRound} calls each`,
        }),
      );
    }
    echo.release();
  } finally {
    raw.dispose();
    await stop();
    await fixture.cleanup();
  }
  return { suite: 'host-to-plugin', title: 'Host → plugin call round trip', comparisons, figures: [], durationMs: elapsedMs(began) };
}

/** A benchmark of a call that does not do what it claims measures nothing: check the echo first. */
function checkEcho(variant: Variant, ours: unknown, baseline: unknown): void {
  const expected = JSON.stringify(variant.payload);
  if (JSON.stringify(ours) !== expected) throw new Error(`${variant.id}: the plugin's echo did not return its payload`);
  if (JSON.stringify(baseline) !== expected) throw new Error(`${variant.id}: the raw echo did not return its payload`);
}
