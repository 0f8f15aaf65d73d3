import 'reflect-metadata';
import { container as tsyringeGlobal, inject, injectable, Lifecycle } from 'tsyringe';
import {
  createKernelContainer,
  createServiceToken,
  provideClass,
  provideValue,
  Tokens,
} from '../../../kernel/core/container';
import { capturedLogger, JournalDisposable } from './container-fixtures';

const SharedCache = createServiceToken<SharedCacheService>('SharedCache');

/** A root singleton that must outlive every plugin scope. */
@injectable()
class SharedCacheService {
  static disposals = 0;
  constructor(@inject(Tokens.DataDir) readonly dataDir: string) {}
  dispose(): void {
    SharedCacheService.disposals++;
  }
}

/** Something a plugin scope constructs for itself. */
@injectable()
class PluginWorker {
  disposed = 0;
  constructor(@inject(Tokens.PluginName) readonly plugin: string) {}
  dispose(): void {
    this.disposed++;
  }
}

beforeEach(() => {
  SharedCacheService.disposals = 0;
});

describe('plugin scopes', () => {
  it('see root services plus their own plugin name and a logger bound to the plugin', async () => {
    const { out, registration: logger } = capturedLogger();
    const kernel = await createKernelContainer([logger, provideValue(Tokens.DataDir, '/data')]);
    const scope = kernel.createPluginScope('@rimuru/exporter-csv');

    expect(scope.resolve(Tokens.DataDir)).toBe('/data');
    expect(scope.resolve(Tokens.PluginName)).toBe('@rimuru/exporter-csv');
    scope.resolve(Tokens.Logger).info('from scope');
    kernel.resolve(Tokens.Logger).info('from root');

    const [fromScope, fromRoot] = out.records();
    expect(fromScope).toMatchObject({ plugin: '@rimuru/exporter-csv', msg: 'from scope' });
    expect(fromRoot).not.toHaveProperty('plugin');
    expect(() => kernel.resolve(Tokens.PluginName)).toThrow(expect.objectContaining({ code: 'E7001' }));
  });

  it('allows one scope per plugin at a time', async () => {
    const { registration: logger } = capturedLogger();
    const kernel = await createKernelContainer([logger]);
    const first = kernel.createPluginScope('p');
    expect(() => kernel.createPluginScope('p')).toThrow(expect.objectContaining({ code: 'E3006' }));
    await first.dispose();
    expect(kernel.pluginScope('p')).toBeUndefined();
    const second = kernel.createPluginScope('p');
    expect(kernel.pluginScope('p')).toBe(second);
  });

  it('disposes what the scope owns and what its container constructed', async () => {
    const journal: string[] = [];
    const { registration: logger } = capturedLogger();
    const kernel = await createKernelContainer([logger]);
    const scope = kernel.createPluginScope('p');
    scope.container.register(PluginWorker, { useClass: PluginWorker }, { lifecycle: Lifecycle.ContainerScoped });
    const worker = scope.container.resolve(PluginWorker);
    scope.own(new JournalDisposable('sandbox', journal));
    scope.own(new JournalDisposable('watcher', journal));

    expect(await scope.dispose()).toEqual([]);
    expect(journal).toEqual(['watcher', 'sandbox']);
    expect(worker.plugin).toBe('p');
    expect(worker.disposed).toBe(1);
    expect(() => scope.resolve(Tokens.PluginName)).toThrow(expect.objectContaining({ code: 'E7001' }));
  });
});

describe('disposal', () => {
  it('keeps a root singleton alive through a plugin scope disposal and disposes it once at root disposal', async () => {
    const { registration: logger } = capturedLogger();
    const kernel = await createKernelContainer([
      logger,
      provideValue(Tokens.DataDir, '/data'),
      provideClass(SharedCache, SharedCacheService),
    ]);
    const scope = kernel.createPluginScope('p');
    const throughScope = scope.resolve(SharedCache);
    expect(throughScope).toBe(kernel.resolve(SharedCache));

    await scope.dispose();
    expect(SharedCacheService.disposals).toBe(0);
    expect(kernel.resolve(SharedCache).dataDir).toBe('/data');

    await kernel.dispose();
    await kernel.dispose();
    expect(SharedCacheService.disposals).toBe(1);
  });

  it('(control) plain tsyringe does dispose a root singleton first resolved through a child', async () => {
    // The premise of the test above: without eager root resolution, the child claims it.
    const root = tsyringeGlobal.createChildContainer();
    root.registerInstance(Tokens.DataDir, '/data');
    root.register(SharedCache, { useClass: SharedCacheService }, { lifecycle: Lifecycle.Singleton });
    const child = root.createChildContainer();
    child.resolve(SharedCache);
    await child.dispose();
    expect(SharedCacheService.disposals).toBe(1);
  });

  it('disposes plugin scopes newest first, then root services in reverse registration order, each once', async () => {
    const journal: string[] = [];
    const { registration: logger } = capturedLogger();
    const a = new JournalDisposable('root:a', journal);
    const b = new JournalDisposable('root:b', journal);
    const kernel = await createKernelContainer([
      logger,
      provideValue(createServiceToken<JournalDisposable>('A'), a),
      provideValue(createServiceToken<JournalDisposable>('B'), b),
      // The same object under a second token is still disposed only once.
      provideValue(createServiceToken<JournalDisposable>('AliasOfA'), a),
      provideValue(createServiceToken<JournalDisposable>('NotOwned'), new JournalDisposable('root:not-owned', journal), { owned: false }),
    ]);
    const late = kernel.own(new JournalDisposable('root:late', journal));
    const p1 = kernel.createPluginScope('p1');
    p1.own(new JournalDisposable('p1:x', journal));
    p1.own(new JournalDisposable('p1:y', journal));
    const p2 = kernel.createPluginScope('p2');
    p2.own(new JournalDisposable('p2:x', journal));
    // Something a plugin handed to its scope that is also a root service: the root's turn never comes.
    p2.own(b);

    expect(await kernel.dispose()).toEqual([]);
    expect(journal).toEqual(['root:b', 'p2:x', 'p1:y', 'p1:x', 'root:late', 'root:a']);
    expect([a.disposals, b.disposals, late.disposals]).toEqual([1, 1, 1]);
  });

  it('collects and logs failures without stopping the rest', async () => {
    const journal: string[] = [];
    const { out, registration: logger } = capturedLogger();
    const kernel = await createKernelContainer([
      logger,
      provideValue(createServiceToken<JournalDisposable>('Db'), new JournalDisposable('db', journal)),
      provideValue(createServiceToken<JournalDisposable>('Broken'), new JournalDisposable('broken', journal, new Error('socket stuck'))),
    ]);
    kernel.createPluginScope('p').own(new JournalDisposable('p:bad', journal, new Error('isolate gone')));

    const failures = await kernel.dispose();

    expect(journal).toEqual(['p:bad', 'broken', 'db']);
    expect(failures.map((f) => [f.scope, (f.error as Error).message])).toEqual([
      ['p', 'isolate gone'],
      ['root', 'socket stuck'],
    ]);
    const logged = out.records().filter((r) => r.level === 50);
    expect(logged.map((r) => [r.scope, (r.err as { message: string }).message])).toEqual([
      ['p', 'isolate gone'],
      ['root', 'socket stuck'],
    ]);
  });
});
