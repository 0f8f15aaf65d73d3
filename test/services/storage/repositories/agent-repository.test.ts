import type { Database } from '../../../../kernel/services/storage';
import { AgentRepository } from '../../../../kernel/services/storage/repositories';
import type { AgentInput } from '../../../../kernel/services/storage/types';
import { describeBackends } from '../backends';
import { captureLogger } from './capture-logger';

const claude: AgentInput = { id: 'claude-code', agentType: 'claude-code', displayName: 'Claude Code', discoveredAt: 1_000 };

describeBackends('AgentRepository', (backend) => {
  let db: Database;
  let agents: AgentRepository;

  beforeAll(async () => {
    db = await backend.connect();
    agents = new AgentRepository(db);
  });
  beforeEach(() => backend.reset());

  it('saves an agent with defaults and reads it back by id', async () => {
    const saved = await agents.save({ ...claude, discoveredAt: new Date(1_000) });
    const expected = {
      id: 'claude-code',
      agentType: 'claude-code',
      displayName: 'Claude Code',
      version: null,
      host: null,
      paths: [],
      status: 'installed',
      discoveredAt: 1_000,
      lastSeenAt: 1_000,
      metadata: {},
    };
    expect(saved).toEqual(expected);
    expect(await agents.findById('claude-code')).toEqual(expected);
    expect(await agents.findById('nobody')).toBeNull();
  });

  it('replaces an agent saved again under the same id (upsert)', async () => {
    await agents.save(claude);
    await agents.save({ ...claude, version: '2.0.1', status: 'active', paths: ['~/.claude'], lastSeenAt: 5_000, metadata: { pid: 42 } });
    expect(await agents.count()).toBe(1);
    expect(await agents.findById('claude-code')).toMatchObject({ version: '2.0.1', status: 'active', paths: ['~/.claude'], lastSeenAt: 5_000, metadata: { pid: 42 } });
  });

  it('lists by id with paging, by type, the active ones, and counts', async () => {
    await agents.save({ ...claude, id: 'codex@box', agentType: 'codex', displayName: 'Codex', status: 'active' });
    await agents.save({ ...claude, status: 'active' });
    await agents.save({ ...claude, id: 'codex', agentType: 'codex', displayName: 'Codex' });
    expect((await agents.findAll()).map((agent) => agent.id)).toEqual(['claude-code', 'codex', 'codex@box']);
    expect((await agents.findAll({ limit: 1, offset: 1 })).map((agent) => agent.id)).toEqual(['codex']);
    expect((await agents.findByType('codex')).map((agent) => agent.id)).toEqual(['codex', 'codex@box']);
    expect((await agents.findActive()).map((agent) => agent.id)).toEqual(['claude-code', 'codex@box']);
    expect(await agents.count()).toBe(3);
    expect(await agents.count({ status: 'active' })).toBe(2);
    expect(await agents.count({ agentType: 'codex', status: 'active' })).toBe(1);
  });

  it('deletes, saying whether there was something to delete', async () => {
    await agents.save(claude);
    expect(await agents.delete('claude-code')).toBe(true);
    expect(await agents.delete('claude-code')).toBe(false);
    expect(await agents.findAll()).toEqual([]);
  });

  it('refuses an invalid agent with E1008 and writes nothing', async () => {
    await expect(agents.save({ ...claude, displayName: '' })).rejects.toMatchObject({ code: 'E1008', message: expect.stringContaining('displayName') });
    await expect(agents.save({ ...claude, status: 'dancing' as 'active' })).rejects.toMatchObject({ code: 'E1008' });
    await expect(agents.findAll({ limit: -1 })).rejects.toMatchObject({ code: 'E1009' });
    expect(await agents.count()).toBe(0);
  });

  it('still lists an agent whose JSON columns were corrupted, with defaults, and logs which row', async () => {
    const { logger, lines } = captureLogger();
    const logged = new AgentRepository(db, { logger });
    await logged.save({ ...claude, paths: ['/a'], metadata: { a: 1 } });
    await db.knex('agents').where({ id: 'claude-code' }).update({ paths: '{not json', metadata: '[1,2]' });
    expect(await logged.findAll()).toEqual([expect.objectContaining({ id: 'claude-code', paths: [], metadata: {} })]);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 40, table: 'agents', column: 'paths', id: 'claude-code' }),
        expect.objectContaining({ level: 40, table: 'agents', column: 'metadata', id: 'claude-code' }),
      ]),
    );
  });
});
