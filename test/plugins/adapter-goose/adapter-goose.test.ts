import Database from 'better-sqlite3';
import * as path from 'node:path';
import type { AgentDiscovery, IngestSource, ParseOutput, UsageRecord } from '@rimuru/sdk';
import { rejectionOf, type PluginRun } from '@rimuru/sdk/testing';
import { ErrorCodes } from '../../../kernel/core/errors';
import { sqliteTimestamp, writeGooseFixture, type GooseFixture } from '../../fixtures/agents/goose';
import { readEverything, readSource, roundedTable, roundedUsage, totalsOf, warningCounts } from '../adapter-reading';
import { usePluginRuns } from '../plugin-runs';

const PLUGIN_DIR = path.resolve(__dirname, '../../../plugins/adapter-goose');

describe('adapter-goose', () => {
  const runs = usePluginRuns(PLUGIN_DIR);

  async function withFixture(options: Parameters<typeof writeGooseFixture>[1] = {}): Promise<{ run: PluginRun; fixture: GooseFixture }> {
    const run = await runs.start();
    return { run, fixture: writeGooseFixture(run.tmpDir, options) };
  }

  it('reads one record per session from the accumulated columns: exact tokens by day and by model, costs to the cent', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);
    const read = totalsOf(reading.records.values());

    expect(roundedUsage(read.totals)).toEqual(roundedUsage(fixture.totals));
    expect(roundedTable(read.byDay)).toEqual(roundedTable(fixture.byDay));
    expect(roundedTable(read.byModel)).toEqual(roundedTable(fixture.byModel));
    expect([...reading.records.keys()].sort()).toEqual(fixture.sessions.map((id) => `goose:${id}`));
    expect([...reading.records.values()].every((r) => r.cacheReadTokens === 0 && r.cacheWriteTokens === 0)).toBe(true);
  });

  it("takes Goose's accumulated_cost where the schema has it and it is above 0", async () => {
    const { run } = await withFixture();
    const records = [...(await readEverything(run.plugin)).records.values()];
    const byModel = (model: string): UsageRecord[] => records.filter((r) => r.model === model);

    expect(byModel('claude-sonnet-4-20250514').every((r) => r.costUsd !== undefined && r.costUsd > 0)).toBe(true);
    expect(byModel('gpt-4.1').some((r) => r.costUsd !== undefined)).toBe(false);
    expect(byModel('llama3.2').some((r) => r.costUsd !== undefined)).toBe(false);
  });

  it('reads the schema from before accumulated_cost (v12): every cost left to the cost engine, same tokens', async () => {
    const { run, fixture } = await withFixture({ schema: 'v12' });
    const reading = await readEverything(run.plugin);

    expect([...reading.records.values()].some((r) => r.costUsd !== undefined)).toBe(false);
    expect(roundedUsage(totalsOf(reading.records.values()).totals)).toEqual(roundedUsage(fixture.totals));
  });

  it('counts what it skips: malformed model_config_json, usage without a model; a session with no usage yet is no record and no warning', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);

    const { corrupt, unknownType, missingField } = fixture.skipped;
    expect(warningCounts(reading.warnings)).toEqual({ corrupt, unknownType, missingField, other: 0 });
    // Every session is still reported as a session, usage or not.
    expect(reading.sessions.map((s) => s.sessionId)).toEqual(expect.arrayContaining(fixture.sessions));
    expect(reading.sessions.length).toBe(fixture.sessions.length + 3);
  });

  it('reports sessions with working dir, name, start and end (RFC 3339 and CURRENT_TIMESTAMP text both read as UTC)', async () => {
    const { run } = await withFixture();
    const reading = await readEverything(run.plugin);
    for (const session of reading.sessions) {
      expect(session.projectPath).toMatch(/^\/home\/dev\/work\//);
      expect(session.title).toBeTruthy();
      expect(session.startedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
      expect(Date.parse(session.startedAt as string)).toBeLessThanOrEqual(Date.parse(session.endedAt as string));
    }
  });

  it('after a full read, a session whose totals grow comes back with the larger totals — even within the same second — and nothing else does', async () => {
    const { run, fixture } = await withFixture();
    const first = await readEverything(run.plugin);
    const source = first.sources[0] as IngestSource;
    const db = new Database(fixture.databaseFile);
    const latest = db.prepare('SELECT id, updated_at FROM sessions ORDER BY datetime(updated_at) DESC, id DESC LIMIT 1').get() as { id: string; updated_at: string };
    const grown = fixture.sessions.find((id) => id !== latest.id) as string;
    // Rewritten within the second the reader already saw: only a fingerprint can tell.
    db.prepare('UPDATE sessions SET accumulated_output_tokens = accumulated_output_tokens + 500, updated_at = ? WHERE id = ?').run(latest.updated_at, grown);
    db.close();

    const outputs = await readSource(run.plugin, source, first.states.get(source.id));
    const records = outputs.flatMap((output) => output.records);
    expect(records.map((r) => r.dedupKey)).toEqual([`goose:${grown}`]);
    expect(records[0]?.outputTokens).toBe((first.records.get(`goose:${grown}`) as UsageRecord).outputTokens + 500);

    const again = await readSource(run.plugin, source, outputs.at(-1)?.state);
    expect(again.flatMap((output) => output.records)).toEqual([]);
  });

  it('pages through many sessions and stops when its state stops moving', async () => {
    const { run, fixture } = await withFixture();
    const db = new Database(fixture.databaseFile);
    const insert = db.prepare(
      `INSERT INTO sessions (id, working_dir, created_at, updated_at, accumulated_input_tokens, accumulated_output_tokens, provider_name, model_config_json)
       VALUES (?, '/home/dev/bulk', ?, ?, 10, 1, 'openai', '{"model_name":"gpt-4.1"}')`,
    );
    const stamp = sqliteTimestamp(Date.UTC(2026, 2, 20, 12));
    db.transaction(() => {
      for (let i = 0; i < 2_500; i++) insert.run(`20260320_${i + 1}`, stamp, stamp); // all in the same second
    })();
    db.close();

    const reading = await readEverything(run.plugin);
    expect(reading.records.size).toBe(fixture.sessions.length + 2_500);
    expect(reading.calls.get(fixture.databaseFile)).toBe(2);
  });

  it('finds the database under $GOOSE_PATH_ROOT/data/sessions before ~/.local/share/goose', async () => {
    const root = runs.scratchDir();
    const run = await runs.start({ env: { GOOSE_PATH_ROOT: root } });
    writeGooseFixture(run.tmpDir, { seed: 3 }); // a decoy in the default place
    const fixture = writeGooseFixture(run.tmpDir, { goosePathRoot: root });

    expect(await run.plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: true, paths: [path.join(root, 'data/sessions')] });
    const reading = await readEverything(run.plugin);
    expect(reading.sources.map((s) => s.path)).toEqual([fixture.databaseFile]);
    expect(roundedUsage(totalsOf(reading.records.values()).totals)).toEqual(roundedUsage(fixture.totals));
  });

  it('takes agents.goose.paths from its config (a directory laid out like Goose, or the file itself)', async () => {
    const run = await runs.start({
      config: { paths: ['~/backup/goose'] },
      permissions: { 'fs.read': ['$TMP/backup'], sqlite: ['$TMP/backup'] },
    });
    const fixture = writeGooseFixture(run.tmpDir, { goosePathRoot: path.join(run.tmpDir, 'backup/goose') });
    expect((await run.plugin.invoke<IngestSource[]>('sources')).map((s) => s.path)).toEqual([fixture.databaseFile]);
  });

  it('discovers nothing on a machine without Goose, and is refused a database outside its roots', async () => {
    const run = await runs.start();
    expect(await run.plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [path.join(run.tmpDir, '.local/share/goose/sessions')] });
    expect(await run.plugin.invoke('sources')).toEqual([]);

    const outside = writeGooseFixture(runs.scratchDir());
    const source: IngestSource = { id: outside.databaseFile, kind: 'sqlite', path: outside.databaseFile, conflict: 'keep-larger' };
    expect((await rejectionOf(run.plugin.invoke<ParseOutput>('parse', { source }))).code).toBe(ErrorCodes.PERMISSION_DENIED);
  });
});
