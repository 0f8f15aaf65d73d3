import 'reflect-metadata';
import { inject, injectable } from 'tsyringe';
import {
  createKernelContainer,
  createServiceToken,
  KernelHookBus,
  provideClass,
  provideFactory,
  provideValue,
  Tokens,
  type ServiceRegistration,
} from '../../../kernel/core/container';
import { MemoryHookExecutionRecorder } from '../../../kernel/core/hooks';
import { capturedLogger, JournalDisposable } from './container-fixtures';
import { resolveConfig } from '../../../kernel/config';

const Greeting = createServiceToken<string>('Greeting');
const Shout = createServiceToken<{ text: string }>('Shout');

@injectable()
class Shouter {
  readonly text: string;
  constructor(@inject(Greeting) greeting: string) {
    this.text = greeting.toUpperCase();
  }
}

describe('createKernelContainer', () => {
  it('builds values, factories and @inject classes in order and resolves them by typed token', async () => {
    const { registration: logger } = capturedLogger();
    const kernel = await createKernelContainer([
      logger,
      provideValue(Greeting, 'hello'),
      provideFactory(Tokens.DataDir, (resolve) => `/data/${resolve(Greeting)}`),
      provideClass(Shout, Shouter),
    ]);
    const dataDir: string = kernel.resolve(Tokens.DataDir);
    expect(dataDir).toBe('/data/hello');
    expect(kernel.resolve(Shout).text).toBe('HELLO');
    // Built once: every resolve returns the same instance.
    expect(kernel.resolve(Shout)).toBe(kernel.resolve(Shout));
  });

  it('wires the hook bus from config, recorder, logger and clock through @inject', async () => {
    const { registration: logger } = capturedLogger();
    const recorder = new MemoryHookExecutionRecorder();
    const kernel = await createKernelContainer([
      logger,
      provideValue(Tokens.Config, resolveConfig({ hooks: { defaultTimeoutMs: 10 } }, { cwd: '/', env: {}, homeDir: '/home/test' })),
      provideValue(Tokens.HookExecutionRecorder, recorder),
      provideValue(Tokens.Clock, { now: () => Date.UTC(2030, 0, 1) }),
      provideClass(Tokens.HookBus, KernelHookBus),
    ]);
    const bus = kernel.resolve(Tokens.HookBus);
    bus.register({ id: 'wedged', owner: 'p', hook: 'custom:x', priority: 0, handle: () => new Promise(() => undefined) });
    await bus.emitSeries('custom:x', null);
    expect(recorder.recent()).toEqual([
      expect.objectContaining({ handlerId: 'wedged', result: 'timeout', startedAt: '2030-01-01T00:00:00.000Z' }),
    ]);
    expect(recorder.recent()[0]?.error?.message).toContain('10 ms');
  });

  it.each<[string, (logger: ServiceRegistration) => ServiceRegistration[]]>([
    ['a service used before it is registered', (logger) => [logger, provideFactory(Tokens.DataDir, (resolve) => resolve(Greeting)), provideValue(Greeting, 'x')]],
    ['a token registered twice', (logger) => [logger, provideValue(Greeting, 'a'), provideValue(Greeting, 'b')]],
    ['a missing Logger', () => [provideValue(Greeting, 'a')]],
    ['a factory that throws', (logger) => [logger, provideFactory(Greeting, () => { throw new Error('no disk'); })]],
  ])('refuses %s with E7001', async (_label, registrations) => {
    const { registration: logger } = capturedLogger();
    await expect(createKernelContainer(registrations(logger))).rejects.toMatchObject({ code: 'E7001' });
  });

  it('disposes what it already built, newest first, when a later service fails to build', async () => {
    const journal: string[] = [];
    const { registration: logger } = capturedLogger();
    const first = new JournalDisposable('first', journal);
    const second = new JournalDisposable('second', journal);
    await expect(
      createKernelContainer([
        logger,
        provideValue(createServiceToken<JournalDisposable>('First'), first),
        provideValue(createServiceToken<JournalDisposable>('Second'), second),
        provideFactory(Greeting, () => { throw new Error('boom'); }),
      ]),
    ).rejects.toThrow('Could not build service Greeting: boom');
    expect(journal).toEqual(['second', 'first']);
  });

  it('refuses to resolve after disposal', async () => {
    const { registration: logger } = capturedLogger();
    const kernel = await createKernelContainer([logger, provideValue(Greeting, 'x')]);
    await kernel.dispose();
    expect(() => kernel.resolve(Greeting)).toThrow(expect.objectContaining({ code: 'E7001' }));
    expect(() => kernel.createPluginScope('late')).toThrow(expect.objectContaining({ code: 'E7001' }));
  });
});
