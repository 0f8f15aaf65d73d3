import { combineSessionDeltas } from '../../../kernel/services/ingestion/chunk-writer';
import type { SessionDelta } from '../../../kernel/services/ingestion/session-merge';

/** Chunks that share a transaction merge their sessions as if each had been merged into the row in turn. */

function delta(overrides: Partial<SessionDelta>): SessionDelta {
  return { id: 'a:s', agentType: 'a', externalId: 's', projectPath: null, title: null, metadata: null, startedAt: null, endedAt: null, lastActivityAt: null, ...overrides };
}

describe('combineSessionDeltas', () => {
  it('takes the earliest start, the latest end and activity, and the later path, title and non-empty metadata', () => {
    const combined = combineSessionDeltas([
      { fallbackTime: 1, sessions: [delta({ startedAt: 50, lastActivityAt: 60, projectPath: '/p1', title: 't1', metadata: { v: 1 } })] },
      { fallbackTime: 2, sessions: [delta({ startedAt: 40, endedAt: 70, lastActivityAt: 55, metadata: {} })] },
      { fallbackTime: 3, sessions: [delta({ startedAt: 45, lastActivityAt: 65, projectPath: '/p2' })] },
    ]);
    expect(combined).toEqual([delta({ startedAt: 40, endedAt: 70, lastActivityAt: 65, projectPath: '/p2', title: 't1', metadata: { v: 1 } })]);
  });

  it('resolves a chunk without times with its own fallback before merging', () => {
    const combined = combineSessionDeltas([
      { fallbackTime: 900, sessions: [delta({})] },
      { fallbackTime: 100, sessions: [delta({ id: 'a:t', externalId: 't' })] },
      { fallbackTime: 500, sessions: [delta({ lastActivityAt: 800 })] },
    ]);
    expect(combined).toEqual([delta({ startedAt: 800, lastActivityAt: 900 }), delta({ id: 'a:t', externalId: 't', startedAt: 100, lastActivityAt: 100 })]);
  });
});
