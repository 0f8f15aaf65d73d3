import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AgentDiscovery, IngestSource, ParseOutput, UsageRecord } from '@rimuru/sdk';
import { rejectionOf, type PluginRun } from '@rimuru/sdk/testing';
import { ErrorCodes } from '../../../kernel/core/errors';
import { Database as Store, upsertUsageRecords, type UsageRecordInput } from '../../../kernel/services/storage';
import { writeOpenCodeFixture, type OpenCodeFixture } from '../../fixtures/agents/opencode';
import { readEverything, readSource, recordCostUsd, roundedTable, roundedUsage, totalsOf, warningCounts } from '../adapter-reading';
import { usePluginRuns } from '../plugin-runs';

const PLUGIN_DIR = path.resolve(__dirname, '../../../plugins/adapter-opencode');
const PAGE_LIMIT = 20_000; // MAX_RECORDS_PER_PARSE in the adapter

describe('adapter-opencode', () => {
  const runs = usePluginRuns(PLUGIN_DIR);

  async function withFixture(seed = 4): Promise<{ run: PluginRun; fixture: OpenCodeFixture }> {
    const run = await runs.start();
    return { run, fixture: writeOpenCodeFixture(run.tmpDir, { seed }) };
  }

  it('reads opencode.db and the legacy files: exact tokens by day and by model, costs to the cent', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);
    const read = totalsOf(reading.records.values());

    expect(roundedUsage(read.totals)).toEqual(roundedUsage(fixture.totals));
    expect(roundedTable(read.byDay)).toEqual(roundedTable(fixture.byDay));
    expect(roundedTable(read.byModel)).toEqual(roundedTable(fixture.byModel));
    expect([...new Set([...reading.records.values()].map((r) => r.sessionId))].sort()).toEqual(fixture.sessions);
  });

  it('counts what it skips by kind: malformed data JSON and a truncated file, a message without tokens, an unknown role', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);

    const { corrupt, unknownType, missingField } = fixture.skipped;
    expect(warningCounts(reading.warnings)).toEqual({ corrupt, unknownType, missingField, other: 0 });
  });

  it("hands on OpenCode's own cost where it is above 0 and leaves the rest to the cost engine", async () => {
    const { run } = await withFixture();
    const reading = await readEverything(run.plugin);
    const byModel = (model: string): UsageRecord[] => [...reading.records.values()].filter((r) => r.model === model);

    expect(byModel('claude-sonnet-4-20250514').every((r) => r.costUsd !== undefined && r.costUsd > 0)).toBe(true);
    expect(byModel('gpt-5').some((r) => r.costUsd !== undefined)).toBe(false);
    expect(byModel('qwen3-coder:30b').some((r) => r.costUsd !== undefined)).toBe(false);
    expect(byModel('gpt-5').every((r) => r.provider === 'openai' && r.dedupKey.startsWith('opencode:msg_'))).toBe(true);
  });

  it('lists the database first (keep-larger), then the legacy files (ignore), so the database wins a message both hold', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);
    const [first, ...legacy] = reading.sources;

    expect(first).toEqual({ id: fixture.databaseFile, kind: 'sqlite', path: fixture.databaseFile, conflict: 'keep-larger' });
    expect(legacy.length).toBeGreaterThan(0);
    expect(legacy.every((source) => source.kind === 'json' && source.conflict === 'ignore' && source.path.includes('/storage/'))).toBe(true);
    // The stale legacy copies carry half the output: the kept records are the database's.
    const fromDatabase = (await readSource(run.plugin, first as IngestSource)).flatMap((output) => output.records);
    for (const id of fixture.overlappingMessageIds) {
      expect(reading.records.get(`opencode:${id}`)).toEqual(fromDatabase.find((r) => r.dedupKey === `opencode:${id}`));
    }
  });

  it('in the store, the database copy wins whether the legacy copy was stored before it or after it', async () => {
    const { run, fixture } = await withFixture();
    const [databaseSource, ...legacySources] = await run.plugin.invoke<IngestSource[]>('sources');
    const fromDatabase = (await readSource(run.plugin, databaseSource as IngestSource)).flatMap((output) => output.records);
    const fromLegacy: UsageRecord[] = [];
    for (const source of legacySources) fromLegacy.push(...(await readSource(run.plugin, source)).flatMap((output) => output.records));
    const toInput = (record: UsageRecord): UsageRecordInput => ({
      ...record,
      agentType: 'opencode',
      recordedAt: Date.parse(record.recordedAt),
      costUsd: recordCostUsd(record),
      costSource: record.costUsd === undefined ? 'calculated' : 'reported',
    });
    const stored = async (store: Store): Promise<Record<string, number>> => {
      const rows = (await store.knex('usage_records').whereIn('dedup_key', fixture.overlappingMessageIds.map((id) => `opencode:${id}`))) as Array<{ dedup_key: string; output_tokens: number | string }>;
      return Object.fromEntries(rows.map((row) => [row.dedup_key, Number(row.output_tokens)]));
    };
    const expected = Object.fromEntries(fixture.overlappingMessageIds.map((id) => [`opencode:${id}`, fromDatabase.find((r) => r.dedupKey === `opencode:${id}`)?.outputTokens]));

    for (const legacyFirst of [false, true]) {
      const store = await Store.connect({ dataDir: runs.scratchDir(), maxConnections: 1, minConnections: 0, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
      try {
        await store.runMigrations();
        const writeDatabase = () => upsertUsageRecords(store, fromDatabase.map(toInput), { conflict: databaseSource?.conflict });
        const writeLegacy = () => upsertUsageRecords(store, fromLegacy.map(toInput), { conflict: legacySources[0]?.conflict });
        if (legacyFirst) {
          await writeLegacy(); // an earlier run, before OpenCode moved to SQLite
          await writeDatabase();
        } else {
          await writeDatabase();
          await writeLegacy();
        }
        expect({ legacyFirst, stored: await stored(store) }).toEqual({ legacyFirst, stored: expected });
      } finally {
        await store.close();
      }
    }
  });

  it('reports sessions with project path, title, start and end, from the session table and the legacy session files', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);
    const sessions = reading.sessions.filter((s) => s.title !== undefined);

    const ids = new Set(sessions.map((s) => s.sessionId));
    for (const id of fixture.sessions) expect(ids.has(id)).toBe(true);
    for (const session of sessions) {
      expect(session.projectPath).toMatch(/^\/home\/dev\/work\//);
      expect(Date.parse(session.startedAt as string)).toBeLessThanOrEqual(Date.parse(session.endedAt as string));
    }
    expect(sessions.filter((s) => s.metadata?.parentSessionId !== undefined)).toHaveLength(1);
  });

  it('continues from its state: only changed rows are read again, and a message rewritten with more tokens comes back whole', async () => {
    const { run, fixture } = await withFixture();
    const first = await readEverything(run.plugin);
    const grownId = fixture.overlappingMessageIds[0] as string;
    const grown = first.records.get(`opencode:${grownId}`) as UsageRecord;

    const db = new Database(fixture.databaseFile);
    const row = db.prepare('SELECT data FROM message WHERE id = ?').get(grownId) as { data: string };
    const { latest } = db.prepare('SELECT max(time_updated) AS latest FROM message').get() as { latest: number };
    const data = JSON.parse(row.data) as { tokens: { output: number } };
    data.tokens.output += 1_000;
    // OpenCode stamps a rewritten row with the current time: later than everything read so far.
    db.prepare('UPDATE message SET data = ?, time_updated = ? WHERE id = ?').run(JSON.stringify(data), latest + 60_000, grownId);
    db.close();

    const databaseSource = first.sources[0] as IngestSource;
    const outputs = await readSource(run.plugin, databaseSource, first.states.get(databaseSource.id));
    const records = outputs.flatMap((output) => output.records);
    expect(records.map((r) => r.dedupKey)).toEqual([`opencode:${grownId}`]);
    expect(records[0]?.outputTokens).toBe(grown.outputTokens + 1_000);
  });

  it('returns at most 20,000 records per call and resumes where it stopped', async () => {
    const { run, fixture } = await withFixture();
    const source: IngestSource = { id: fixture.databaseFile, kind: 'sqlite', path: fixture.databaseFile, conflict: 'keep-larger' };
    const before = (await readSource(run.plugin, source)).flatMap((output) => output.records).length;
    const db = new Database(fixture.databaseFile);
    const sessionId = fixture.sessions.find((id) => !fixture.legacyOnlySessions.includes(id)) as string;
    const insert = db.prepare('INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?, ?, ?, ?, ?)');
    const extra = 45_000;
    db.transaction(() => {
      for (let i = 0; i < extra; i++) {
        const at = Date.UTC(2026, 2, 8) + i;
        const data = { role: 'assistant', time: { created: at, completed: at }, modelID: 'gpt-5', providerID: 'openai', cost: 0, tokens: { input: 1, output: 2, reasoning: 0, cache: { read: 0, write: 0 } } };
        insert.run(`msg_bulk${String(i).padStart(6, '0')}`, sessionId, at, at, JSON.stringify(data));
      }
    })();
    db.close();

    const outputs = await readSource(run.plugin, source);
    const counts = outputs.map((output) => output.records.length);
    expect(counts.every((count) => count <= PAGE_LIMIT)).toBe(true);
    expect(counts.filter((count) => count > 0).length).toBeGreaterThanOrEqual(3);
    const keys = new Set(outputs.flatMap((output) => output.records.map((r) => r.dedupKey)));
    expect(keys.size).toBe(before + extra);
  });

  it('discovers the data dir and the OpenCode version; not installed when there is none', async () => {
    const { run, fixture } = await withFixture();
    expect(await run.plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: true, version: '1.1.14', paths: [fixture.dataDir] });

    const empty = await runs.start();
    expect(await empty.plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: false, paths: [path.join(empty.tmpDir, '.local/share/opencode')] });
    expect(await empty.plugin.invoke<IngestSource[]>('sources')).toEqual([]);
  });

  it('follows $XDG_DATA_HOME instead of ~/.local/share', async () => {
    const xdg = runs.scratchDir();
    const run = await runs.start({ env: { XDG_DATA_HOME: xdg } });
    writeOpenCodeFixture(run.tmpDir, { seed: 9 }); // a decoy in the default place
    const fixture = writeOpenCodeFixture(run.tmpDir, { seed: 4, xdgDataHome: xdg });

    const reading = await readEverything(run.plugin);
    expect(reading.sources.every((source) => source.path.startsWith(`${xdg}/opencode/`))).toBe(true);
    expect(roundedUsage(totalsOf(reading.records.values()).totals)).toEqual(roundedUsage(fixture.totals));
  });

  it('takes agents.opencode.paths from its config before the environment', async () => {
    const run = await runs.start({
      config: { paths: ['~/elsewhere/opencode'] },
      permissions: { 'fs.read': ['$TMP/elsewhere'], sqlite: ['$TMP/elsewhere'], env: ['XDG_DATA_HOME'] },
    });
    const fixture = writeOpenCodeFixture(run.tmpDir, { seed: 4, xdgDataHome: path.join(run.tmpDir, 'elsewhere') });

    expect((await run.plugin.invoke<AgentDiscovery>('discover')).paths).toEqual([fixture.dataDir]);
    expect(roundedUsage(totalsOf((await readEverything(run.plugin)).records.values()).totals)).toEqual(roundedUsage(fixture.totals));
  });

  it('is refused a database or file outside its roots', async () => {
    const run = await runs.start();
    const outside = writeOpenCodeFixture(runs.scratchDir(), { seed: 4 });

    const database: IngestSource = { id: outside.databaseFile, kind: 'sqlite', path: outside.databaseFile };
    expect((await rejectionOf(run.plugin.invoke<ParseOutput>('parse', { source: database }))).code).toBe(ErrorCodes.PERMISSION_DENIED);
    const config = await runs.start({ config: { paths: [outside.dataDir] } });
    expect((await rejectionOf(config.plugin.invoke('sources'))).code).toBe(ErrorCodes.PERMISSION_DENIED);
  });

  it('still reads usage when the session table is not one it knows, with a warning', async () => {
    const { run, fixture } = await withFixture();
    const db = new Database(fixture.databaseFile);
    db.exec('ALTER TABLE session RENAME COLUMN directory TO dir');
    db.close();

    const source: IngestSource = { id: fixture.databaseFile, kind: 'sqlite', path: fixture.databaseFile, conflict: 'keep-larger' };
    const [output] = await readSource(run.plugin, source);
    expect(output?.records.length).toBeGreaterThan(0);
    expect(warningCounts(output?.warnings ?? []).other).toBe(1);
  });

  it('turns a file that is not a database into a warning, not a crash', async () => {
    const run = await runs.start();
    const dataDir = path.join(run.tmpDir, '.local/share/opencode');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path.join(dataDir, 'opencode.db'), 'this is not a SQLite file'.repeat(100));

    const [source] = await run.plugin.invoke<IngestSource[]>('sources');
    const output = await run.plugin.invoke<ParseOutput>('parse', { source });
    expect(output.records).toEqual([]);
    expect(warningCounts(output.warnings ?? []).corrupt).toBe(1);
  });
});
