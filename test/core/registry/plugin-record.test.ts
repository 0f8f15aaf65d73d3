import { PluginError } from '../../../kernel/core/errors';
import { canTransition, transition, type PluginRecord, type PluginState } from '../../../kernel/core/registry';

const T0 = new Date(Date.UTC(2025, 0, 1));
const T1 = new Date(Date.UTC(2025, 0, 2));

function record(state: PluginState, reason?: string): PluginRecord {
  return {
    name: 'demo',
    version: '1.0.0',
    dir: '/plugins/demo',
    source: 'builtin',
    manifest: null,
    bundlePath: null,
    integrity: null,
    state,
    ...(reason === undefined ? {} : { reason }),
    since: T0,
  };
}

describe('plugin state machine', () => {
  it.each<[PluginState, PluginState]>([
    ['installed', 'enabled'],
    ['enabled', 'loaded'],
    ['loaded', 'running'],
    ['running', 'quarantined'],
    ['running', 'errored'],
    ['running', 'enabled'],
    ['quarantined', 'enabled'],
    ['errored', 'disabled'],
    ['disabled', 'enabled'],
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    const next = transition(record(from), { to, at: T1 });
    expect(next.state).toBe(to);
    expect(next.since).toBe(T1);
  });

  it.each<[PluginState, PluginState]>([
    ['installed', 'running'],
    ['enabled', 'running'],
    ['disabled', 'loaded'],
    ['disabled', 'running'],
    ['errored', 'running'],
    ['quarantined', 'loaded'],
    ['running', 'installed'],
  ])('refuses %s → %s with E3008 naming the allowed moves', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => transition(record(from), { to, at: T1 })).toThrow(PluginError);
    try {
      transition(record(from), { to, at: T1 });
    } catch (error) {
      expect((error as PluginError).code).toBe('E3008');
      expect((error as PluginError).message).toContain(`cannot go from ${from} to ${to}`);
    }
  });

  it('sets the new reason and drops the old one', () => {
    const disabled = transition(record('enabled'), { to: 'disabled', reason: 'off', reasonCode: 'E3003', at: T1 });
    expect(disabled).toMatchObject({ state: 'disabled', reason: 'off', reasonCode: 'E3003' });
    const enabled = transition(disabled, { to: 'enabled', at: T1 });
    expect(enabled.reason).toBeUndefined();
    expect(enabled.reasonCode).toBeUndefined();
  });

  it('lets a plugin stay in its state with a new reason', () => {
    const next = transition(record('disabled', 'by user'), { to: 'disabled', reason: 'dependency missing', at: T1 });
    expect(next).toMatchObject({ state: 'disabled', reason: 'dependency missing', since: T1 });
  });

  it('returns a frozen record and leaves the old one untouched', () => {
    const before = record('installed');
    const after = transition(before, { to: 'enabled', at: T1 });
    expect(Object.isFrozen(after)).toBe(true);
    expect(before.state).toBe('installed');
  });
});
