import Database from 'better-sqlite3';
import * as path from 'node:path';
import type { AgentDiscovery, IngestSource, ParseOutput } from '@rimuru/sdk';
import { rejectionOf, type PluginRun } from '@rimuru/sdk/testing';
import { ErrorCodes } from '../../../kernel/core/errors';
import { writeCursorFixture, type CursorFixture } from '../../fixtures/agents/cursor';
import { readEverything, readSource, roundedTable, roundedUsage, totalsOf, warningCounts } from '../adapter-reading';
import { usePluginRuns } from '../plugin-runs';

const PLUGIN_DIR = path.resolve(__dirname, '../../../plugins/adapter-cursor');

describe('adapter-cursor', () => {
  const runs = usePluginRuns(PLUGIN_DIR);

  async function withFixture(seed = 5): Promise<{ run: PluginRun; fixture: CursorFixture }> {
    const run = await runs.start();
    return { run, fixture: writeCursorFixture(run.tmpDir, { seed }) };
  }

  it('reports every composer as a session, with its title, times and the folder it was opened in', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);

    const folders = Object.fromEntries(reading.sessions.map((session) => [session.sessionId, session.projectPath ?? null]));
    expect(folders).toEqual(fixture.composers);
    expect(Object.values(fixture.composers)).toContain('/home/dev/work/my app');
    for (const session of reading.sessions) {
      expect(session.title).toBeTruthy();
      expect(Date.parse(session.startedAt as string)).toBeLessThanOrEqual(Date.parse(session.endedAt as string));
    }
  });

  it('turns the token counts Cursor filled in (bubbles and inline conversations) into records: exact tokens by day and by model', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);
    const read = totalsOf(reading.records.values());

    expect(roundedUsage(read.totals)).toEqual(roundedUsage(fixture.totals));
    expect(roundedTable(read.byDay)).toEqual(roundedTable(fixture.byDay));
    expect(roundedTable(read.byModel)).toEqual(roundedTable(fixture.byModel));
    expect(fixture.unknownModels).toEqual(['default']);
    expect([...reading.records.values()].every((r) => r.costUsd === undefined && /^cursor:[0-9a-f-]{36}:/.test(r.dedupKey))).toBe(true);
  });

  it('counts what it skips: a malformed composer, a malformed bubble, a bubble with tokens but no time', async () => {
    const { run, fixture } = await withFixture();
    const reading = await readEverything(run.plugin);

    const { corrupt, unknownType, missingField } = fixture.skipped;
    expect(warningCounts(reading.warnings)).toEqual({ corrupt, unknownType, missingField, other: 0 });
  });

  it('reads only the composers Cursor touched since its state, and a token count that grew comes back', async () => {
    const { run, fixture } = await withFixture();
    const first = await readEverything(run.plugin);
    const source = first.sources[0] as IngestSource;

    const db = new Database(fixture.databaseFile);
    const bubbleKeyOf = (dedupKey: string): string => `bubbleId:${dedupKey.slice('cursor:'.length)}`;
    const hasKey = db.prepare('SELECT 1 FROM cursorDiskKV WHERE key = ?');
    // A record of a current-format composer (the inline one has no bubble keys).
    const record = [...first.records.values()].find((r) => hasKey.get(bubbleKeyOf(r.dedupKey)) !== undefined);
    const bubbleKey = bubbleKeyOf(record?.dedupKey ?? '');
    const composerId = bubbleKey.split(':')[1] as string;
    const bubble = JSON.parse((db.prepare('SELECT value FROM cursorDiskKV WHERE key = ?').get(bubbleKey) as { value: string }).value) as { tokenCount: { outputTokens: number } };
    bubble.tokenCount.outputTokens += 250;
    db.prepare('INSERT INTO cursorDiskKV (key, value) VALUES (?, ?)').run(bubbleKey, JSON.stringify(bubble));
    const composerKey = `composerData:${composerId}`;
    const composer = JSON.parse((db.prepare('SELECT value FROM cursorDiskKV WHERE key = ?').get(composerKey) as { value: string }).value) as { lastUpdatedAt: number };
    composer.lastUpdatedAt = Date.UTC(2026, 3, 1);
    db.prepare('INSERT INTO cursorDiskKV (key, value) VALUES (?, ?)').run(composerKey, JSON.stringify(composer));
    db.close();

    const outputs = await readSource(run.plugin, source, first.states.get(source.id));
    expect(outputs.flatMap((output) => output.sessions.map((s) => s.sessionId))).toEqual([composerId]);
    const grown = outputs.flatMap((output) => output.records).find((r) => r.dedupKey === record?.dedupKey);
    expect(grown?.outputTokens).toBe((record?.outputTokens ?? 0) + 250);
    expect(outputs.flatMap((output) => output.warnings ?? [])).toEqual([]);
  });

  it('finds the user dir under $XDG_CONFIG_HOME, and not installed when there is none', async () => {
    const xdg = runs.scratchDir();
    const run = await runs.start({ env: { XDG_CONFIG_HOME: xdg } });
    expect(await run.plugin.invoke<AgentDiscovery>('discover')).toEqual({
      installed: false,
      paths: [path.join(xdg, 'Cursor/User'), path.join(run.tmpDir, 'Library/Application Support/Cursor/User')],
    });
    const fixture = writeCursorFixture(run.tmpDir, { xdgConfigHome: xdg });

    expect(await run.plugin.invoke<AgentDiscovery>('discover')).toEqual({ installed: true, paths: [fixture.userDir] });
    expect(roundedUsage(totalsOf((await readEverything(run.plugin)).records.values()).totals)).toEqual(roundedUsage(fixture.totals));
  });

  it('takes agents.cursor.paths from its config (Cursor’s data dir, its User dir or the database itself)', async () => {
    for (const configured of ['~/portable/Cursor', '~/portable/Cursor/User', '~/portable/Cursor/User/globalStorage/state.vscdb']) {
      const current = await runs.start({ config: { paths: [configured] }, permissions: { 'fs.read': ['$TMP/portable'], sqlite: ['$TMP/portable'] } });
      const fixture = writeCursorFixture(current.tmpDir, { xdgConfigHome: path.join(current.tmpDir, 'portable') });
      expect({ configured, sources: (await current.plugin.invoke<IngestSource[]>('sources')).map((s) => s.path) }).toEqual({ configured, sources: [fixture.databaseFile] });
    }
  });

  it('is refused a database outside its roots', async () => {
    const run = await runs.start();
    const outside = writeCursorFixture(runs.scratchDir());
    const source: IngestSource = { id: outside.databaseFile, kind: 'sqlite', path: outside.databaseFile, conflict: 'keep-larger' };
    expect((await rejectionOf(run.plugin.invoke<ParseOutput>('parse', { source }))).code).toBe(ErrorCodes.PERMISSION_DENIED);
  });
});
