import { ErrorCodes, StorageError } from '../../../../kernel/core/errors';
import { maskUrl, sqlExcerpt, toStorageError } from '../../../../kernel/services/storage';

describe('toStorageError', () => {
  const withCode = (message: string, code: string): Error => Object.assign(new Error(message), { code });

  it('a refused, lost or timed-out connection is E1001', () => {
    for (const cause of [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('terminating connection due to administrator command', '57P01'),
      new Error('Connection terminated unexpectedly'),
      new Error('Knex: Timeout acquiring a connection. The pool is probably full.'),
    ]) {
      expect(toStorageError(cause, { operation: 'loading sessions' }).code).toBe(ErrorCodes.DB_CONNECTION);
    }
  });

  it('anything else the database refused is E1002, with the driver code, the cause and a short SQL excerpt', () => {
    const sql = `select * from sessions where ${'x = 1 and '.repeat(100)}true`;
    const error = toStorageError(withCode(`${sql} - relation "sessions" does not exist`, '42P01'), { operation: 'loading sessions', sql });
    expect(error).toBeInstanceOf(StorageError);
    expect(error.code).toBe(ErrorCodes.DB_QUERY);
    expect(error.message).toMatch(/^loading sessions failed: relation "sessions" does not exist \(42P01\) — SQL: select \* from sessions where x = 1/);
    expect(error.message.length).toBeLessThan(300);
    expect(error.details).toMatchObject({ driverCode: '42P01' });
    expect((error as Error & { cause: unknown }).cause).toBeInstanceOf(Error);
  });

  it('a StorageError passes through unchanged; a forced code wins', () => {
    const original = new StorageError(ErrorCodes.DB_SCHEMA_TOO_NEW, 'too new');
    expect(toStorageError(original, { operation: 'x' })).toBe(original);
    expect(toStorageError(new Error('boom'), { operation: 'migrating', code: ErrorCodes.DB_MIGRATION }).code).toBe(ErrorCodes.DB_MIGRATION);
  });

  it('reads the messages inside an AggregateError (happy-eyeballs connects)', () => {
    const cause = new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED'), withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')], '');
    const error = toStorageError(cause, { operation: 'connecting' });
    expect(error.code).toBe(ErrorCodes.DB_CONNECTION);
    expect(error.message).toContain('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
  });
});

describe('maskUrl and sqlExcerpt', () => {
  it('hides passwords, in URLs and in things that only look like one', () => {
    expect(maskUrl('postgres://rimuru:s3cret@db:5432/rimuru')).toBe('postgres://rimuru:***@db:5432/rimuru');
    expect(maskUrl('postgres://rimuru@db/rimuru')).toBe('postgres://rimuru@db/rimuru');
    expect(maskUrl('//user:s3cret@ host')).not.toContain('s3cret');
  });

  it('keeps statements to one short line', () => {
    expect(sqlExcerpt('select\n  1\n')).toBe('select 1');
    expect(sqlExcerpt('x'.repeat(500))).toHaveLength(161);
  });
});
