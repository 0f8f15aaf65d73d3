/**
 * OpenCode end to end: a generated data dir in its default place, a booted Kernel running the
 * adapter bundle in its sandbox under its manifest's permissions, `kernel.ingest()` with the
 * real pricing service, and the store reporting exactly what the generator wrote.
 */
import { mkdtempSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeOpenCodeFixture } from '../../fixtures/agents/opencode';
import { bootKernel, expectedWarnings, expectStoredUsage, installAdapters, storedSessions, warningsOf, type BootedKernel } from '../booted-kernel';

let dir: string;
let booted: BootedKernel | undefined;

beforeEach(async () => {
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-opencode-e2e-')));
  await installAdapters(path.join(dir, 'plugins'), ['adapter-opencode']);
});

afterEach(async () => {
  await booted?.close();
  booted = undefined;
  rmSync(dir, { recursive: true, force: true });
});

it('ingests opencode.db and the legacy files into the totals the generator wrote, to the token and the cent; again changes nothing', async () => {
  const home = path.join(dir, 'home');
  const fixture = writeOpenCodeFixture(home);
  booted = await bootKernel(dir, { HOME: home }, home);

  const first = await booted.kernel.ingest();
  expect(first.errors).toEqual([]);
  expect(first.adapters.map(({ agentType, installed, version, paths }) => ({ agentType, installed, version, paths }))).toEqual([
    { agentType: 'opencode', installed: true, version: '1.1.14', paths: [fixture.dataDir] },
  ]);
  await expectStoredUsage(booted.database, 'opencode', fixture);
  expect(warningsOf(first, 'opencode')).toEqual(expectedWarnings(fixture));
  expect(first.unknownModels).toEqual(fixture.unknownModels);

  const sessions = await storedSessions(booted.database, 'opencode');
  for (const id of fixture.sessions) {
    const session = sessions.get(id);
    expect({ id, project: session?.projectPath?.startsWith('/home/dev/work/'), titled: Boolean(session?.title) }).toEqual({ id, project: true, titled: true });
  }

  const again = await booted.kernel.ingest();
  expect(again.records.inserted + again.records.updated).toBe(0);
  await expectStoredUsage(booted.database, 'opencode', fixture);
});

it('keeps the database copy of a message whose stale legacy copy an earlier run stored before OpenCode moved to SQLite', async () => {
  const home = path.join(dir, 'home');
  const fixture = writeOpenCodeFixture(home);
  const aside = path.join(dir, 'opencode.db.aside');
  renameSync(fixture.databaseFile, aside);
  booted = await bootKernel(dir, { HOME: home }, home);

  await booted.kernel.ingest(); // legacy files only
  const staleCopies = (await booted.database.knex('usage_records').whereIn('dedup_key', fixture.overlappingMessageIds.map((id) => `opencode:${id}`))) as unknown[];
  expect(staleCopies).toHaveLength(fixture.overlappingMessageIds.length);

  renameSync(aside, fixture.databaseFile);
  const second = await booted.kernel.ingest();
  expect(second.records.updated).toBe(fixture.overlappingMessageIds.length);
  await expectStoredUsage(booted.database, 'opencode', fixture);
});
