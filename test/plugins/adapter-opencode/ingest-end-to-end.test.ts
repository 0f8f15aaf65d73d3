/**
 * OpenCode end to end: a generated data dir in its default place, a booted Kernel running the
 * adapter bundle in its sandbox under its manifest's permissions, `kernel.ingest()` with the
 * real pricing service, and the store reporting exactly what the generator wrote.
 */
import { renameSync } from 'node:fs';
import * as path from 'node:path';
import { writeOpenCodeFixture } from '../../fixtures/agents/opencode';
import { expectedWarnings, expectStoredUsage, storedSessions, useBootedKernels, warningsOf } from '../booted-kernel';

const kernels = useBootedKernels(['adapter-opencode']);

it('ingests opencode.db and the legacy files into the totals the generator wrote, to the token and the cent; again changes nothing', async () => {
  const home = path.join(kernels.dir(), 'home');
  const fixture = writeOpenCodeFixture(home);
  const booted = await kernels.boot({ HOME: home }, home);

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
  const home = path.join(kernels.dir(), 'home');
  const fixture = writeOpenCodeFixture(home);
  const aside = path.join(kernels.dir(), 'opencode.db.aside');
  renameSync(fixture.databaseFile, aside);
  const booted = await kernels.boot({ HOME: home }, home);

  await booted.kernel.ingest(); // legacy files only
  const staleCopies = (await booted.database.knex('usage_records').whereIn('dedup_key', fixture.overlappingMessageIds.map((id) => `opencode:${id}`))) as unknown[];
  expect(staleCopies).toHaveLength(fixture.overlappingMessageIds.length);

  renameSync(aside, fixture.databaseFile);
  const second = await booted.kernel.ingest();
  expect(second.records.updated).toBe(fixture.overlappingMessageIds.length);
  await expectStoredUsage(booted.database, 'opencode', fixture);
});
