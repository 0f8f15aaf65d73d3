import { ErrorCodes, StorageError } from '../../../../kernel/core/errors';
import { upsertUsageRecords, type Database, type UsageRecordInput } from '../../../../kernel/services/storage';
import { rejectionOf } from '../../../../sdk/src/testing/rejection-of';
import { describeBackends } from '../backends';
import { usageRecord, usageRecords } from '../usage-records';

async function storedRows(db: Database): Promise<unknown[]> {
  return db.knex('usage_records').select('*').orderBy('dedup_key');
}

async function storedCount(db: Database): Promise<number> {
  const row = (await db.knex('usage_records').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

function withTokens(record: UsageRecordInput, outputTokens: number, extra: Partial<UsageRecordInput> = {}): UsageRecordInput {
  return { ...record, outputTokens, ...extra };
}

describeBackends('upsertUsageRecords', (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await backend.connect();
  });
  beforeEach(() => backend.reset());

  it('inserts a batch, and re-upserting the same batch changes nothing', async () => {
    // 25k spans three PostgreSQL chunks.
    const records = usageRecords(25_000);
    expect(await upsertUsageRecords(db, records)).toEqual({ inserted: 25_000, updated: 0, unchanged: 0 });
    const before = await storedRows(db);
    expect(before).toHaveLength(25_000);

    expect(await upsertUsageRecords(db, records)).toEqual({ inserted: 0, updated: 0, unchanged: 25_000 });
    expect(await upsertUsageRecords(db, records, { conflict: 'keep-larger' })).toEqual({ inserted: 0, updated: 0, unchanged: 25_000 });
    expect(await storedRows(db)).toEqual(before);
  });

  it('stores every field as given (nulls, JSON flags, fractional cost, epoch ms)', async () => {
    const record: UsageRecordInput = {
      dedupKey: 'msg_01:req_01',
      sessionId: 'claude-code:abc',
      agentType: 'claude-code',
      model: 'claude-sonnet-4-5',
      inputTokens: 3,
      outputTokens: 250,
      cacheWriteTokens: 1_200,
      cacheWrite1hTokens: 200,
      cacheReadTokens: 48_000,
      reasoningTokens: 40,
      costUsd: 0.0123456,
      costSource: 'calculated',
      recordedAt: 1_761_234_567_891,
      flags: ['fallback-model', 'estimated'],
    };
    await upsertUsageRecords(db, [record, { ...record, dedupKey: 'bare', flags: undefined, cacheWrite1hTokens: undefined, reasoningTokens: undefined }]);
    expect(await storedRows(db)).toEqual([
      expect.objectContaining({ dedup_key: 'bare', provider: null, flags: null, cache_write_1h_tokens: 0, reasoning_tokens: 0 }),
      {
        id: expect.any(Number),
        dedup_key: 'msg_01:req_01',
        session_id: 'claude-code:abc',
        agent_type: 'claude-code',
        model: 'claude-sonnet-4-5',
        provider: null,
        input_tokens: 3,
        output_tokens: 250,
        cache_write_tokens: 1_200,
        cache_write_1h_tokens: 200,
        cache_read_tokens: 48_000,
        reasoning_tokens: 40,
        cost_usd: 0.0123456,
        cost_source: 'calculated',
        recorded_at: 1_761_234_567_891,
        flags: '["fallback-model","estimated"]',
      },
    ]);
  });

  it('keep-larger replaces a stored record only when the new token total is larger', async () => {
    const first = usageRecord(1);
    await upsertUsageRecords(db, [first]);

    const smaller = withTokens(first, first.outputTokens - 1, { costUsd: 9 });
    expect(await upsertUsageRecords(db, [smaller], { conflict: 'keep-larger' })).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    const equal = withTokens(first, first.outputTokens, { costUsd: 9 });
    expect(await upsertUsageRecords(db, [equal], { conflict: 'keep-larger' })).toEqual({ inserted: 0, updated: 0, unchanged: 1 });

    const larger = withTokens(first, first.outputTokens + 500, { costUsd: 2.5, flags: ['streamed'] });
    expect(await upsertUsageRecords(db, [larger], { conflict: 'keep-larger' })).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
    expect(await db.knex('usage_records').where({ dedup_key: first.dedupKey }).first('output_tokens', 'cost_usd', 'flags')).toEqual({
      output_tokens: first.outputTokens + 500,
      cost_usd: 2.5,
      flags: '["streamed"]',
    });

    // `ignore` never replaces, however large.
    const largest = withTokens(first, first.outputTokens + 10_000);
    expect(await upsertUsageRecords(db, [largest])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect(await storedCount(db)).toBe(1);
  });

  it('duplicates inside one call count as if written one after another', async () => {
    const base = usageRecord(7);
    const growing = [withTokens(base, 10), withTokens(base, 30), withTokens(base, 20), usageRecord(8)];
    expect(await upsertUsageRecords(db, growing, { conflict: 'keep-larger' })).toEqual({ inserted: 2, updated: 0, unchanged: 2 });
    expect(await db.knex('usage_records').where({ dedup_key: base.dedupKey }).first('output_tokens')).toEqual({ output_tokens: 30 });

    await backend.reset();
    expect(await upsertUsageRecords(db, growing)).toEqual({ inserted: 2, updated: 0, unchanged: 2 });
    expect(await db.knex('usage_records').where({ dedup_key: base.dedupKey }).first('output_tokens')).toEqual({ output_tokens: 10 });
  });

  it('refuses a batch with an invalid record (E1008 naming it) and writes none of it', async () => {
    const records = usageRecords(100);
    records[42] = { ...(records[42] as UsageRecordInput), outputTokens: -5 };
    records[77] = { ...(records[77] as UsageRecordInput), costSource: 'guessed' as 'reported' };
    records[90] = { ...(records[90] as UsageRecordInput), costUsd: Number.NaN };
    const error = await rejectionOf(upsertUsageRecords(db, records));
    expect(error).toBeInstanceOf(StorageError);
    expect(error.code).toBe(ErrorCodes.DB_INVALID_RECORD);
    expect(error.message).toMatch(/3 of 100 usage records are invalid/);
    expect(error.message).toMatch(/record 42 "rec-42": outputTokens must be a non-negative integer, got -5/);
    expect(error.message).toMatch(/record 77 "rec-77": costSource must be "reported" or "calculated"/);
    expect(error.message).toMatch(/record 90 "rec-90": costUsd must be a finite/);
    expect(await storedCount(db)).toBe(0);
  });

  it('an empty batch is a no-op', async () => {
    expect(await upsertUsageRecords(db, [])).toEqual({ inserted: 0, updated: 0, unchanged: 0 });
  });

  it("writes inside a caller's transaction: committed together with the caller's other writes", async () => {
    const cursor = { source_id: '/logs/a.jsonl', plugin: 'adapter-claude-code', offset: 4096, updated_at: 1 };
    const result = await db.transaction(async (trx) => {
      const written = await upsertUsageRecords(trx, usageRecords(500));
      await trx('ingest_cursors').insert(cursor);
      return written;
    });
    expect(result).toEqual({ inserted: 500, updated: 0, unchanged: 0 });
    expect(await storedCount(db)).toBe(500);
    expect(await db.knex('ingest_cursors').pluck('offset')).toEqual([4096]);
  });

  it("writes inside a caller's transaction: rolled back together when the caller fails after it", async () => {
    await upsertUsageRecords(db, usageRecords(10));
    await expect(
      db.transaction(async (trx) => {
        await upsertUsageRecords(trx, usageRecords(500, { start: 10 }));
        await trx('ingest_cursors').insert({ source_id: '/logs/a.jsonl', plugin: 'p', offset: 1, updated_at: 1 });
        throw new Error('the cursor update failed');
      }),
    ).rejects.toThrow('the cursor update failed');
    expect(await storedCount(db)).toBe(10);
    expect(await db.knex('ingest_cursors').count({ n: '*' }).first()).toEqual({ n: 0 });
  });

  it('two independent connections upserting overlapping batches at once store each record exactly once', async () => {
    const second = await backend.connectSecond();
    // 0..29999 and 15000..44999 — 15k keys in common, written in opposite orders.
    const a = usageRecords(30_000);
    const b = usageRecords(30_000, { start: 15_000 }).reverse();
    const [fromA, fromB] = await Promise.all([
      upsertUsageRecords(db, a, { conflict: 'keep-larger' }),
      upsertUsageRecords(second, b, { conflict: 'keep-larger' }),
    ]);
    expect(fromA.inserted + fromB.inserted).toBe(45_000);
    expect(fromA.updated + fromB.updated).toBe(0);
    expect(fromA.unchanged + fromB.unchanged).toBe(15_000);
    expect(await storedCount(db)).toBe(45_000);
    const distinct = (await db.knex('usage_records').countDistinct({ n: 'dedup_key' }).first()) as { n: number | string };
    expect(Number(distinct.n)).toBe(45_000);
  });
});
