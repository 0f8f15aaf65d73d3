import { orderByDependencies, type DependencyNode } from '../../../kernel/core/registry';

function node(name: string, dependencies: Record<string, string> = {}, extra: Partial<DependencyNode> = {}): DependencyNode {
  return { name, version: '1.0.0', dependencies, available: true, ...extra };
}

describe('orderByDependencies', () => {
  it('puts dependencies first and breaks ties by name', () => {
    const result = orderByDependencies([
      node('zeta'),
      node('app', { lib: '^1.0.0', zeta: '*' }),
      node('lib', { base: '^1.0.0' }),
      node('base'),
      node('alpha'),
    ]);
    expect(result.order).toEqual(['alpha', 'base', 'lib', 'zeta', 'app']);
    expect(result.disabled).toEqual([]);
  });

  it('gives the same order whatever order the nodes come in', () => {
    const nodes = [node('c', { a: '*' }), node('b', { a: '*' }), node('a'), node('d')];
    const forward = orderByDependencies(nodes).order;
    expect(orderByDependencies([...nodes].reverse()).order).toEqual(forward);
    expect(forward).toEqual(['a', 'b', 'c', 'd']);
  });

  it('disables a plugin whose dependency is not installed (E3003)', () => {
    const result = orderByDependencies([node('app', { ghost: '^2.0.0' }), node('other')]);
    expect(result.order).toEqual(['other']);
    expect(result.disabled).toEqual([{ name: 'app', code: 'E3003', reason: 'requires ghost@^2.0.0, which is not installed' }]);
  });

  it('disables a plugin whose dependency has an incompatible version', () => {
    const result = orderByDependencies([node('app', { lib: '^2.0.0' }), node('lib', {}, { version: '1.4.0' })]);
    expect(result.order).toEqual(['lib']);
    expect(result.disabled).toEqual([
      { name: 'app', code: 'E3003', reason: 'requires lib@^2.0.0, but lib@1.4.0 is installed' },
    ]);
  });

  it('does not let a prerelease satisfy a plain range (npm semantics)', () => {
    const result = orderByDependencies([node('app', { lib: '^1.0.0' }), node('lib', {}, { version: '1.1.0-beta.1' })]);
    expect(result.disabled.map((d) => d.name)).toEqual(['app']);
  });

  it('disables a plugin whose dependency is unavailable, quoting why', () => {
    const result = orderByDependencies([
      node('app', { lib: '*' }),
      node('lib', {}, { available: false, unavailableReason: 'disabled by the user' }),
    ]);
    expect(result.order).toEqual([]);
    expect(result.disabled).toEqual([
      { name: 'app', code: 'E3003', reason: 'requires lib, which is disabled (disabled by the user)' },
    ]);
  });

  it('disables transitively down a chain', () => {
    const result = orderByDependencies([
      node('top', { mid: '*' }),
      node('mid', { low: '*' }),
      node('low', { gone: '^1.0.0' }),
      node('free'),
    ]);
    expect(result.order).toEqual(['free']);
    expect(result.disabled.map((d) => [d.name, d.code])).toEqual([
      ['low', 'E3003'],
      ['mid', 'E3003'],
      ['top', 'E3003'],
    ]);
    expect(result.disabled.find((d) => d.name === 'top')?.reason).toBe(
      'requires mid, which is disabled (requires low, which is disabled (requires gone@^1.0.0, which is not installed))',
    );
  });

  it('disables every member of a cycle (E3004) and what depends on it (E3003)', () => {
    const result = orderByDependencies([
      node('a', { b: '*' }),
      node('b', { c: '*' }),
      node('c', { a: '*' }),
      node('user', { a: '*' }),
      node('bystander'),
    ]);
    expect(result.order).toEqual(['bystander']);
    expect(result.disabled).toEqual([
      { name: 'a', code: 'E3004', reason: 'dependency cycle: a → b → c → a' },
      { name: 'b', code: 'E3004', reason: 'dependency cycle: b → c → a → b' },
      { name: 'c', code: 'E3004', reason: 'dependency cycle: c → a → b → c' },
      { name: 'user', code: 'E3003', reason: 'requires a, which is disabled (dependency cycle: a → b → c → a)' },
    ]);
  });

  it('treats a plugin depending on itself as a cycle', () => {
    const result = orderByDependencies([node('selfish', { selfish: '*' })]);
    expect(result.disabled).toEqual([{ name: 'selfish', code: 'E3004', reason: 'dependency cycle: selfish → selfish' }]);
  });

  it('leaves unavailable plugins out of both lists', () => {
    const result = orderByDependencies([node('off', {}, { available: false })]);
    expect(result).toEqual({ order: [], disabled: [] });
  });
});
