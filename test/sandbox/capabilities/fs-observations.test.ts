import { appendFileSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { firstChanged, observationsHold, type FsObservation } from '../../../sandbox/capabilities/fs-observations';
import { makeHost, makeTempDir, type HostFixture } from './host-fixture';

/**
 * `CapabilityHost.observe`: what a plugin call looked at through `fs`, so that a stat of each
 * can later tell whether the same call would see the same file system.
 */

const LATER = Date.now() + 3_600_000;
let root: string;
let fx: HostFixture;

beforeEach(async () => {
  root = await makeTempDir('rimuru-observe-');
  mkdirSync(path.join(root, 'a', 'deep'), { recursive: true });
  writeFileSync(path.join(root, 'a', 'one.jsonl'), 'x\n');
  writeFileSync(path.join(root, 'a', 'deep', 'two.jsonl'), 'y\n');
  fx = await makeHost({ permissions: { 'fs.read': [root], 'fs.write': [path.join(root, 'out')] }, env: { PATH: process.env.PATH, HOME: root } });
});

afterEach(() => fx.dispose());

/** Runs `work` under a recording as if an hour had passed (nothing counts as just modified). */
async function observe(work: () => Promise<unknown>, nowMs = LATER): Promise<{ observations: FsObservation[] } | { notKept: string }> {
  const { value: _value, ...result } = await fx.host.observe(work, nowMs);
  return result;
}

function observationsOf(result: { observations: FsObservation[] } | { notKept: string }): FsObservation[] {
  if ('notKept' in result) throw new Error(`not kept: ${result.notKept}`);
  return result.observations;
}

describe('fs observations', () => {
  it('records every folder a glob walked and holds until one of them gains an entry', async () => {
    const observations = observationsOf(await observe(() => fx.call('fs', 'glob', { root, pattern: '**/*.jsonl' })));
    expect(observations.filter((o) => o.kind === 'dir').map((o) => o.path).sort()).toEqual([root, path.join(root, 'a'), path.join(root, 'a', 'deep')]);
    expect(observationsHold(observations)).toBe(true);
    // Appending to a listed file does not change what a listing sees.
    appendFileSync(path.join(root, 'a', 'one.jsonl'), 'more\n');
    expect(observationsHold(observations)).toBe(true);
    writeFileSync(path.join(root, 'a', 'deep', 'three.jsonl'), 'z\n');
    expect(firstChanged(observations)?.path).toBe(path.join(root, 'a', 'deep'));
  });

  it('records files read and stat-ed and paths found missing; each change breaks them', async () => {
    const file = path.join(root, 'a', 'one.jsonl');
    const missing = path.join(root, 'not-yet');
    const observations = observationsOf(
      await observe(async () => {
        await fx.call('fs', 'read', { path: file });
        await fx.call('fs', 'stat', { path: missing });
      }),
    );
    expect(observations.map((o) => `${o.kind}:${o.path}`).sort()).toEqual([`file:${file}`, `missing:${missing}`]);
    expect(observationsHold(observations)).toBe(true);
    appendFileSync(file, 'grown\n');
    expect(firstChanged(observations)?.path).toBe(file);
    const again = observationsOf(await observe(() => fx.call('fs', 'stat', { path: missing })));
    writeFileSync(missing, 'now here');
    expect(firstChanged(again)?.path).toBe(missing);
  });

  it('keeps nothing when the call used another capability, wrote, met a symlink or failed', async () => {
    expect(await observe(() => fx.call('kv', 'get', { key: 'k' }))).toEqual({ notKept: 'called kv.get' });
    expect(await observe(() => fx.call('fs', 'writeFile', { path: path.join(root, 'out', 'f'), data: 'd' }))).toEqual({ notKept: 'fs.writeFile wrote a file' });
    symlinkSync(path.join(root, 'a', 'one.jsonl'), path.join(root, 'a', 'link.jsonl'));
    expect(await observe(() => fx.call('fs', 'glob', { root, pattern: '**/*.jsonl' }))).toEqual({ notKept: 'a glob met a symlink' });
    expect(await observe(() => fx.call('fs', 'list', { dir: path.join(root, 'a') }))).toEqual({ notKept: 'a listing held a symlink' });
    expect(await observe(() => fx.call('fs', 'read', { path: path.join(root, 'nope') }).catch(() => null))).toEqual({ notKept: 'an fs call failed' });
    // env and log calls do not matter: the environment is fixed for the kernel's life.
    expect('observations' in (await observe(() => fx.call('env', 'home', {})))).toBe(true);
  });

  it('keeps nothing that was modified within the last 2 s (a later change in the same clock tick would not show)', async () => {
    const dir = path.join(root, 'a');
    utimesSync(dir, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect('observations' in (await observe(() => fx.call('fs', 'list', { dir }), Date.now()))).toBe(true);
    writeFileSync(path.join(dir, 'fresh.jsonl'), '');
    expect(await observe(() => fx.call('fs', 'list', { dir }), Date.now())).toEqual({ notKept: 'something it read changed in the last 2 s' });
  });

  it('allows one recording at a time and ends it when the call throws', async () => {
    const blocked = fx.host.observe(() => new Promise((resolve) => setTimeout(resolve, 20)));
    await expect(fx.host.observe(async () => undefined)).rejects.toThrow('a recording is already running');
    await blocked;
    await expect(fx.host.observe(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect('observations' in (await observe(async () => undefined))).toBe(true);
  });
});
