/**
 * Goose end to end: a generated sessions.db under $GOOSE_PATH_ROOT, a booted Kernel running the
 * adapter bundle in its sandbox, `kernel.ingest()` with the real pricing service, and the store
 * reporting exactly what the generator wrote — then a session that grows replacing its record.
 */
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { sqliteTimestamp, writeGooseFixture } from '../../fixtures/agents/goose';
import { expectedWarnings, expectStoredUsage, storedSessions, useBootedKernels, warningsOf } from '../booted-kernel';

const kernels = useBootedKernels(['adapter-goose']);

it('ingests sessions.db into the totals the generator wrote; a session that grows replaces its record, nothing is counted twice', async () => {
  const home = path.join(kernels.dir(), 'home');
  const root = path.join(kernels.dir(), 'goose-root');
  const fixture = writeGooseFixture(home, { goosePathRoot: root });
  const booted = await kernels.boot({ HOME: home, GOOSE_PATH_ROOT: root }, home);

  const first = await booted.kernel.ingest();
  expect(first.errors).toEqual([]);
  expect(first.adapters.map(({ agentType, installed, paths }) => ({ agentType, installed, paths }))).toEqual([
    { agentType: 'goose', installed: true, paths: [path.join(root, 'data/sessions')] },
  ]);
  await expectStoredUsage(booted.database, 'goose', fixture);
  expect(warningsOf(first, 'goose')).toEqual(expectedWarnings(fixture));
  expect(first.unknownModels).toEqual(fixture.unknownModels);
  const sessions = await storedSessions(booted.database, 'goose');
  for (const id of fixture.sessions) expect({ id, project: sessions.get(id)?.projectPath }).toEqual({ id, project: expect.stringMatching(/^\/home\/dev\/work\//) });

  // The user goes on in one session: Goose adds to its accumulated totals.
  const grown = fixture.sessions[0] as string;
  const db = new Database(fixture.databaseFile);
  db.prepare('UPDATE sessions SET accumulated_input_tokens = accumulated_input_tokens + 1000, accumulated_output_tokens = accumulated_output_tokens + 100, updated_at = ? WHERE id = ?').run(
    sqliteTimestamp(Date.UTC(2026, 2, 20)),
    grown,
  );
  db.close();
  const second = await booted.kernel.ingest();
  expect([second.records.inserted, second.records.updated]).toEqual([0, 1]);
  const totals = { ...fixture.totals };
  const after = await booted.database.knex('usage_records').where({ agent_type: 'goose' }).sum({ input: 'input_tokens', output: 'output_tokens' }).count({ n: '*' }).first();
  expect(after).toEqual({ input: totals.inputTokens + 1000, output: totals.outputTokens + 100, n: totals.records });
});
