import semver from 'semver';
import { ErrorCodes } from '../errors';

/**
 * Orders plugins so each comes after the plugins it declares in `rimuru.dependencies`, and
 * decides which cannot run because of them. Pure: it sees names, versions and availability,
 * never files or plugin code.
 *
 * A plugin is disabled when a dependency is not installed, has a version outside the declared
 * range (npm semantics: prereleases do not satisfy a plain range), is itself unavailable, or
 * when it is part of a cycle (E3004). Anything depending on a disabled plugin is disabled in
 * turn (E3003), so the lifecycle never loads a plugin whose dependencies will not be there.
 * Ties are broken by name, so the same set of plugins always loads in the same order.
 */

export interface DependencyNode {
  name: string;
  version: string;
  dependencies: Readonly<Record<string, string>>;
  /** `false` when the plugin cannot run for reasons of its own (user-disabled, errored, …). */
  available: boolean;
  /** Shown to dependents of an unavailable plugin, e.g. `disabled by the user`. */
  unavailableReason?: string;
}

export interface DependencyVerdict {
  name: string;
  code: typeof ErrorCodes.PLUGIN_DEPENDENCY_MISSING | typeof ErrorCodes.PLUGIN_DEPENDENCY_CYCLE;
  reason: string;
}

export interface DependencyResolution {
  /** Available plugins whose dependencies are all satisfied, dependencies first. */
  order: string[];
  /** Plugins that were available but must not run because of their dependencies, by name. */
  disabled: DependencyVerdict[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedEntries(record: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.entries(record).sort(([a], [b]) => byName(a, b));
}

/** Tarjan's strongly connected components over `names`, following edges to dependencies. */
function stronglyConnected(names: string[], edges: (name: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;

  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.sort(byName));
    }
  };
  for (const name of names) if (!index.has(name)) visit(name);
  return components;
}

/** One concrete cycle through `start` inside its component, for a message like `a → b → a`. */
function cyclePath(start: string, component: ReadonlySet<string>, edges: (name: string) => string[]): string[] {
  const seen = new Set<string>();
  const walk = (node: string, trail: string[]): string[] | null => {
    for (const next of edges(node)) {
      if (!component.has(next)) continue;
      if (next === start) return [...trail, start];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = walk(next, [...trail, next]);
      if (found) return found;
    }
    return null;
  };
  return walk(start, [start]) ?? [start, start];
}

export function orderByDependencies(nodes: ReadonlyArray<DependencyNode>): DependencyResolution {
  const all = new Map(nodes.map((n) => [n.name, n]));
  const active = new Set(nodes.filter((n) => n.available).map((n) => n.name));
  const verdicts = new Map<string, DependencyVerdict>();

  const why = (name: string): string =>
    verdicts.get(name)?.reason ?? all.get(name)?.unavailableReason ?? 'unavailable';

  // Disables every active plugin with an unmet dependency, until nothing changes (transitive).
  const disableUnmet = (): void => {
    let changed = true;
    while (changed) {
      changed = false;
      for (const name of [...active].sort(byName)) {
        const node = all.get(name) as DependencyNode;
        for (const [dep, range] of sortedEntries(node.dependencies)) {
          const target = all.get(dep);
          let reason: string | undefined;
          if (target === undefined) reason = `requires ${dep}@${range}, which is not installed`;
          else if (!semver.satisfies(target.version, range)) {
            reason = `requires ${dep}@${range}, but ${dep}@${target.version} is installed`;
          } else if (!active.has(dep)) reason = `requires ${dep}, which is disabled (${why(dep)})`;
          if (reason !== undefined) {
            active.delete(name);
            verdicts.set(name, { name, code: ErrorCodes.PLUGIN_DEPENDENCY_MISSING, reason });
            changed = true;
            break;
          }
        }
      }
    }
  };

  const activeDeps = (name: string): string[] =>
    Object.keys((all.get(name) as DependencyNode).dependencies)
      .filter((d) => active.has(d))
      .sort(byName);

  disableUnmet();
  for (const component of stronglyConnected([...active].sort(byName), activeDeps)) {
    const members = new Set(component);
    const isCycle = component.length > 1 || activeDeps(component[0]).includes(component[0]);
    if (!isCycle) continue;
    for (const name of component) {
      const loop = cyclePath(name, members, activeDeps).join(' → ');
      verdicts.set(name, { name, code: ErrorCodes.PLUGIN_DEPENDENCY_CYCLE, reason: `dependency cycle: ${loop}` });
    }
    for (const name of component) active.delete(name);
  }
  // Plugins that depended on a cycle member lose their dependency now.
  disableUnmet();

  // Kahn's algorithm over what is left (acyclic by now), always taking the smallest ready name.
  const remaining = new Map([...active].map((name) => [name, new Set(activeDeps(name))]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([name]) => name).sort(byName);
    const next = ready[0];
    // Unreachable: every cycle was removed above. Failing loudly beats looping forever.
    if (next === undefined) throw new Error(`dependency-order: no plugin ready among ${[...remaining.keys()].join(', ')}`);
    order.push(next);
    remaining.delete(next);
    for (const deps of remaining.values()) deps.delete(next);
  }

  return { order, disabled: [...verdicts.values()].sort((a, b) => byName(a.name, b.name)) };
}
