/**
 * Claude Code and Codex end to end: generated corpora in their default places (`~/.claude`,
 * and `$CODEX_HOME`), a booted Kernel running both adapter bundles in their sandboxes under
 * their manifests' permissions, `kernel.ingest()` with the real pricing service, and the
 * store's CostAggregator — which must report exactly what the generators wrote: tokens to the
 * token and costs to the cent, by UTC day and by model, per agent; sessions with their project.
 */
import * as path from 'node:path';
import type { Database } from '../../../kernel/services/storage';
import { generateClaudeCodeCorpus } from '../../fixtures/agents/claude-code';
import { generateCodexCorpus } from '../../fixtures/agents/codex';
import type { AgentFixture } from '../../fixtures/agents/expected-usage';
import { expectedWarnings, expectStoredUsage, storedSessions, useBootedKernels, warningsOf } from '../booted-kernel';

const kernels = useBootedKernels(['adapter-claude-code', 'adapter-codex']);

/** The store holds the fixture's usage, and every session with usage under its own id, project and span. */
async function expectStoreMatches(db: Database, fixture: AgentFixture): Promise<void> {
  await expectStoredUsage(db, fixture.agentType, fixture);
  const sessions = await storedSessions(db, fixture.agentType);
  for (const id of fixture.sessions) {
    const session = sessions.get(id);
    expect({ id, project: session?.projectPath, ordered: session !== undefined && (session.endedAt ?? session.lastActivityAt) >= session.startedAt }).toEqual({
      id,
      project: expect.stringMatching(/^\/home\/dev\//),
      ordered: true,
    });
  }
}

it('ingests Claude Code and Codex corpora into totals equal to the generators’, to the token and the cent, and again changes nothing', async () => {
  const home = path.join(kernels.dir(), 'home');
  const codexHome = path.join(kernels.dir(), 'codex-home');
  const claude = generateClaudeCodeCorpus(path.join(home, '.claude'));
  const codex = generateCodexCorpus(codexHome);
  const { kernel, database } = await kernels.boot({ HOME: home, CODEX_HOME: codexHome }, home);

  const first = await kernel.ingest();
  expect(first.errors).toEqual([]);
  expect(first.adapters.map(({ agentType, installed, version, paths }) => ({ agentType, installed, version, paths })).sort((a, b) => a.agentType.localeCompare(b.agentType))).toEqual([
    { agentType: 'claude-code', installed: true, version: '2.0.76', paths: [path.join(home, '.claude')] },
    { agentType: 'codex', installed: true, version: '0.46.0', paths: [codexHome] },
  ]);
  await expectStoreMatches(database, claude);
  await expectStoreMatches(database, codex);
  expect(warningsOf(first, 'claude-code')).toEqual(expectedWarnings(claude));
  expect(warningsOf(first, 'codex')).toEqual(expectedWarnings(codex));
  expect([...first.unknownModels].sort()).toEqual([...claude.unknownModels, ...codex.unknownModels].sort());

  const again = await kernel.ingest();
  expect(again.records.inserted + again.records.updated).toBe(0);
  await expectStoreMatches(database, claude);
  await expectStoreMatches(database, codex);
});

it('reads the folders named in agents.<type>.paths, which the kernel grants the adapters, instead of the defaults', async () => {
  const home = path.join(kernels.dir(), 'home');
  const synced = path.join(kernels.dir(), 'synced');
  generateClaudeCodeCorpus(path.join(home, '.claude'), { seed: 1, hugeLineBytes: 1024 });
  const claude = generateClaudeCodeCorpus(path.join(synced, 'claude'), { seed: 2, hugeLineBytes: 1024 });
  const codex = generateCodexCorpus(path.join(synced, 'codex'), { seed: 3, hugeLineBytes: 1024 });
  const { kernel, database } = await kernels.boot({ HOME: home }, home, {
    'claude-code': { paths: [path.join(synced, 'claude', 'projects')] },
    codex: { paths: [path.join(synced, 'codex')] },
  });
  expect((await kernel.ingest()).errors).toEqual([]);
  await expectStoreMatches(database, claude);
  await expectStoreMatches(database, codex);
});
