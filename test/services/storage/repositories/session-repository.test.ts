import type { Database } from '../../../../kernel/services/storage';
import { ACTIVE_SESSION_WINDOW_MS, SessionRepository } from '../../../../kernel/services/storage/repositories';
import type { SessionInput } from '../../../../kernel/services/storage/types';
import { describeBackends } from '../backends';
import { captureLogger } from './capture-logger';

const NOW = Date.UTC(2025, 5, 1, 12);

function session(id: string, overrides: Partial<SessionInput> = {}): SessionInput {
  return { id: `claude-code:${id}`, agentId: 'claude-code', agentType: 'claude-code', externalId: id, startedAt: NOW - 3_600_000, ...overrides };
}

describeBackends('SessionRepository', (backend) => {
  let db: Database;
  let sessions: SessionRepository;

  beforeAll(async () => {
    db = await backend.connect();
    sessions = new SessionRepository(db);
  });
  beforeEach(() => backend.reset());

  it('saves a session with defaults and reads it back; a second save replaces it', async () => {
    const saved = await sessions.save(session('a', { projectPath: '/work/a', metadata: { branch: 'main' } }));
    expect(saved).toEqual({
      id: 'claude-code:a',
      agentId: 'claude-code',
      agentType: 'claude-code',
      externalId: 'a',
      projectPath: '/work/a',
      title: null,
      status: 'active',
      startedAt: NOW - 3_600_000,
      endedAt: null,
      lastActivityAt: NOW - 3_600_000,
      host: null,
      metadata: { branch: 'main' },
    });
    expect(await sessions.findById('claude-code:a')).toEqual(saved);
    await sessions.save(session('a', { status: 'completed', endedAt: NOW, title: 'fix the tests' }));
    expect(await sessions.findById('claude-code:a')).toMatchObject({ status: 'completed', endedAt: NOW, lastActivityAt: NOW, title: 'fix the tests', projectPath: null });
    expect(await sessions.findAll()).toHaveLength(1);
  });

  it('lists newest first, pages, and lists by agent', async () => {
    await sessions.save(session('old', { startedAt: NOW - 3 * 3_600_000 }));
    await sessions.save(session('new', { startedAt: NOW - 1 * 3_600_000 }));
    await sessions.save({ ...session('codex', { startedAt: NOW - 2 * 3_600_000 }), id: 'codex:x', agentId: 'codex', agentType: 'codex' });
    expect((await sessions.findAll()).map((s) => s.externalId)).toEqual(['new', 'codex', 'old']);
    expect((await sessions.findAll({ limit: 2, offset: 1 })).map((s) => s.externalId)).toEqual(['codex', 'old']);
    expect((await sessions.findByAgent('claude-code')).map((s) => s.externalId)).toEqual(['new', 'old']);
    expect(await sessions.findByAgent('nobody')).toEqual([]);
  });

  it('counts a session active while its status is active and its last activity is within 30 minutes', async () => {
    await sessions.save(session('fresh', { lastActivityAt: NOW - 1_000 }));
    await sessions.save(session('edge', { lastActivityAt: NOW - ACTIVE_SESSION_WINDOW_MS }));
    await sessions.save(session('stale', { lastActivityAt: NOW - ACTIVE_SESSION_WINDOW_MS - 1 }));
    await sessions.save(session('idle', { lastActivityAt: NOW - 1_000, status: 'idle' }));
    await sessions.save(session('done', { lastActivityAt: NOW - 1_000, status: 'completed', endedAt: NOW - 1_000 }));
    expect((await sessions.findActive(NOW)).map((s) => s.externalId).sort()).toEqual(['edge', 'fresh']);
    expect(await sessions.getActiveCount(new Date(NOW))).toBe(2);
    // An hour later nothing is active any more.
    expect(await sessions.getActiveCount(NOW + 3_600_000)).toBe(0);
  });

  it('finds the sessions that started in [from, to)', async () => {
    for (const [id, startedAt] of [['before', NOW - 1], ['at-from', NOW], ['inside', NOW + 10], ['at-to', NOW + 100]] as const) {
      await sessions.save(session(id, { startedAt }));
    }
    expect((await sessions.findInRange(NOW, NOW + 100)).map((s) => s.externalId)).toEqual(['inside', 'at-from']);
    expect(await sessions.findInRange(NOW + 50, NOW + 60)).toEqual([]);
    await expect(sessions.findInRange(NOW + 1, NOW)).rejects.toMatchObject({ code: 'E1009' });
  });

  it('deletes, and refuses invalid sessions with E1008', async () => {
    await sessions.save(session('a'));
    expect(await sessions.delete('claude-code:a')).toBe(true);
    expect(await sessions.delete('claude-code:a')).toBe(false);
    await expect(sessions.save(session('b', { startedAt: Number.NaN }))).rejects.toMatchObject({ code: 'E1008', message: expect.stringContaining('startedAt') });
    await expect(sessions.save({ ...session('c'), agentId: '' })).rejects.toMatchObject({ code: 'E1008' });
    expect(await sessions.findAll()).toEqual([]);
  });

  it('still lists a session whose metadata was corrupted, and logs it', async () => {
    const { logger, lines } = captureLogger();
    const logged = new SessionRepository(db, { logger });
    await logged.save(session('a', { metadata: { ok: true } }));
    await db.knex('sessions').update({ metadata: 'null' });
    expect((await logged.findAll())[0]?.metadata).toEqual({});
    expect(lines).toEqual([expect.objectContaining({ table: 'sessions', column: 'metadata', id: 'claude-code:a' })]);
  });
});
