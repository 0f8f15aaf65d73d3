import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { createLogger, pluginLogger, REDACTED } from '../../../kernel/core/logging';
import { isRimuruError } from '../../../kernel/core/errors';
import { CaptureStream } from './capture-stream';

describe('createLogger (JSON)', () => {
  it('writes one JSON object per line at or above the level', () => {
    const out = new CaptureStream();
    const logger = createLogger({ level: 'warn', pretty: false, destination: out });
    logger.info('hidden');
    logger.warn({ n: 1 }, 'shown');
    const records = out.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ msg: 'shown', n: 1, level: 40 });
  });

  it('redacts secret-looking keys at the top level and one level deep', () => {
    const out = new CaptureStream();
    const logger = createLogger({ level: 'info', pretty: false, destination: out });
    logger.info(
      {
        apiKey: 'sk-top',
        token: 't-top',
        provider: { apiKey: 'sk-nested', name: 'anthropic' },
        auth: { password: 'hunter2', secret: 's3', user: 'me' },
        request: { authorization: 'Bearer x', headers: { authorization: 'Bearer y', 'x-api-key': 'k', accept: 'json' } },
        headers: { cookie: 'session=1', 'content-type': 'text/plain' },
      },
      'calling provider',
    );
    const [record] = out.records();
    expect(record).toMatchObject({
      apiKey: REDACTED,
      token: REDACTED,
      provider: { apiKey: REDACTED, name: 'anthropic' },
      auth: { password: REDACTED, secret: REDACTED, user: 'me' },
      request: { authorization: REDACTED, headers: { authorization: REDACTED, 'x-api-key': REDACTED, accept: 'json' } },
      headers: { cookie: REDACTED, 'content-type': 'text/plain' },
    });
    for (const secret of ['sk-top', 't-top', 'sk-nested', 'hunter2', 'Bearer', 'session=1']) {
      expect(out.text()).not.toContain(secret);
    }
  });

  it('gives plugin loggers a plugin binding without touching the root', () => {
    const out = new CaptureStream();
    const root = createLogger({ level: 'info', pretty: false, destination: out });
    const child = pluginLogger(root, '@rimuru/adapter-claude-code');
    child.info({ apiKey: 'sk-child' }, 'from plugin');
    root.info('from kernel');
    const [fromPlugin, fromKernel] = out.records();
    expect(fromPlugin).toMatchObject({ plugin: '@rimuru/adapter-claude-code', msg: 'from plugin', apiKey: REDACTED });
    expect(fromKernel).not.toHaveProperty('plugin');
  });

  it('rejects an unknown level with a config error', () => {
    let code: string | undefined;
    try {
      createLogger({ level: 'loud' as never });
    } catch (err) {
      code = isRimuruError(err) ? err.code : undefined;
    }
    expect(code).toBe('E4001');
  });
});

describe('createLogger (pretty)', () => {
  it('writes readable lines, still redacted and with the plugin name', async () => {
    const out = new CaptureStream();
    const root = createLogger({ level: 'info', pretty: true, destination: out });
    pluginLogger(root, 'notifier-slack').info({ token: 'xoxb-secret' }, 'sent');
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.text();
    expect(text).toContain('sent');
    expect(text).toContain('notifier-slack');
    expect(text).toContain(REDACTED);
    expect(text).not.toContain('xoxb-secret');
    expect(() => JSON.parse(text.trim().split('\n')[0] ?? '')).toThrow();
  });
});

describe('createLogger defaults in a real process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rimuru-logger-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Piped stdout is not a TTY, so the defaults must give JSON lines on stderr, leave stdout to
  // command output, and not lose the line logged right before `process.exit`.
  it('logs JSON to stderr, keeps stdout clean and flushes before exit', () => {
    const entry = path.join(dir, 'log-then-exit.ts');
    writeFileSync(
      entry,
      [
        `import { createLogger } from ${JSON.stringify(path.resolve(__dirname, '../../../kernel/core/logging'))};`,
        `const logger = createLogger({ level: 'info' });`,
        `process.stdout.write('command output\\n');`,
        `logger.info({ password: 'pw' }, 'before exit');`,
        `process.exit(0);`,
      ].join('\n'),
    );
    const bundle = path.join(dir, 'log-then-exit.js');
    buildSync({ entryPoints: [entry], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', packages: 'external', logLevel: 'silent' });

    const child = spawnSync(process.execPath, [bundle], {
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: path.resolve(__dirname, '../../../node_modules') },
    });

    expect(child.status).toBe(0);
    expect(child.stdout).toBe('command output\n');
    const lines = child.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ msg: 'before exit', password: REDACTED }),
    ]);
  });
});
