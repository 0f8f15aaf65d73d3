import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { AdapterListings } from '../../../kernel/services/ingestion/adapter-listings';
import { StatPrefetch } from '../../../kernel/services/ingestion/stat-prefetch';
import type { IngestAdapter } from '../../../kernel/services/ingestion';
import type { Database } from '../../../kernel/services/storage';
import { FsObservationRecorder } from '../../../sandbox/capabilities/fs-observations';
import { describeBackends } from '../storage/backends';

/**
 * `AdapterListings` on both stores: an answer kept by one run (one process) is used by the next
 * while its observations hold, asked for again when they do not or the fingerprint moved, and
 * two runs keeping answers for one plugin leave one row.
 */
describeBackends('AdapterListings', (backend) => {
  let db: Database;
  let dir: string;
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    db = await backend.connect();
  });

  beforeEach(async () => {
    await backend.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'rimuru-listings-'));
    writeFileSync(path.join(dir, 'a.jsonl'), '');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(dir, hourAgo, hourAgo);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** An adapter whose recorded calls looked at `dir` (as a listing does), with a fingerprint. */
  function adapter(fingerprint = 'f1'): IngestAdapter {
    return {
      plugin: '@rimuru-fixture/adapter-listed',
      agentType: 'listed',
      displayName: 'Listed',
      permissions: {},
      fingerprint,
      observe: async (work) => {
        const recorder = new FsObservationRecorder();
        recorder.directory(dir);
        const value = await work();
        return { value, ...recorder.result(Date.now()) };
      },
    };
  }

  async function listOnce(forAdapter: IngestAdapter, answer: unknown): Promise<{ value: unknown; asked: boolean }> {
    const listings = new AdapterListings(db, log);
    let asked = false;
    const value = await listings.call(forAdapter, 'sources', async () => {
      asked = true;
      return answer;
    });
    await listings.save(Date.now());
    return { value, asked };
  }

  it('keeps an answer for the next run, and asks again once a looked-at folder changed', async () => {
    expect(await listOnce(adapter(), ['first'])).toEqual({ value: ['first'], asked: true });
    expect(await listOnce(adapter(), ['second'])).toEqual({ value: ['first'], asked: false });
    writeFileSync(path.join(dir, 'b.jsonl'), '');
    expect(await listOnce(adapter(), ['third'])).toEqual({ value: ['third'], asked: true });
    expect(Number((await db.knex('ingest_listings').count({ n: '*' }).first())?.n)).toBe(1);
  });

  it('writes back only the answer asked again: a new discovery leaves the kept source list as stored', async () => {
    const run = async (forAdapter: IngestAdapter, answers: { discover: unknown; sources: unknown }): Promise<string[]> => {
      const listings = new AdapterListings(db, log);
      const asked: string[] = [];
      for (const which of ['discover', 'sources'] as const) {
        await listings.call(forAdapter, which, async () => {
          asked.push(which);
          return answers[which];
        });
      }
      await listings.save(Date.now());
      return asked;
    };
    expect(await run(adapter(), { discover: { v: 1 }, sources: ['s1'] })).toEqual(['discover', 'sources']);
    // The stored source list, marked (the same answer, written differently).
    const stored = JSON.parse(String((await db.knex('ingest_listings').first())?.sources)) as Record<string, unknown>;
    const marked = JSON.stringify({ observations: stored.observations, value: stored.value });
    await db.knex('ingest_listings').update({ sources: marked, discovery: '{not json' });
    expect(await run(adapter(), { discover: { v: 2 }, sources: ['s2'] })).toEqual(['discover']);
    const row = await db.knex('ingest_listings').first();
    expect(row?.sources).toBe(marked);
    expect(JSON.parse(String(row?.discovery))).toMatchObject({ value: { v: 2 } });
    // A moved fingerprint makes the stored row stand for nothing: both are asked and written.
    expect(await run(adapter('f2'), { discover: { v: 3 }, sources: ['s3'] })).toEqual(['discover', 'sources']);
    expect(JSON.parse(String((await db.knex('ingest_listings').first())?.sources))).toMatchObject({ value: ['s3'] });
  });

  it('preloaded with stats taken on a worker: a change they saw, or one this thread sees, means asking again', async () => {
    const ask = async (listings: AdapterListings, answer: unknown): Promise<{ value: unknown; asked: boolean }> => {
      let asked = false;
      const value = await listings.call(adapter(), 'sources', async () => {
        asked = true;
        return answer;
      });
      await listings.save(Date.now());
      return { value, asked };
    };
    const preloaded = async (onWorker: boolean): Promise<AdapterListings> => {
      const { rows, observedPaths } = await AdapterListings.preload(db, log);
      expect(observedPaths).toEqual([[dir]]);
      return AdapterListings.fromPreloaded(db, log, rows, StatPrefetch.start(onWorker ? observedPaths.flat() : []));
    };
    await listOnce(adapter(), ['first']);
    expect(await ask(await preloaded(true), ['second'])).toEqual({ value: ['first'], asked: false });
    expect(await ask(await preloaded(false), ['second'])).toEqual({ value: ['first'], asked: false });
    // The folder gains a file: seen by the worker's stat…
    writeFileSync(path.join(dir, 'b.jsonl'), '');
    expect(await ask(await preloaded(true), ['third'])).toEqual({ value: ['third'], asked: true });
    // …and by this thread's, for a path the worker was not given.
    writeFileSync(path.join(dir, 'c.jsonl'), '');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(dir, hourAgo, hourAgo);
    await listOnce(adapter(), ['fourth']);
    utimesSync(dir, new Date(), new Date());
    expect(await ask(await preloaded(false), ['fifth'])).toEqual({ value: ['fifth'], asked: true });
  });

  it('asks again when the fingerprint (bundle, config, roots, variables) moved', async () => {
    await listOnce(adapter('f1'), ['first']);
    expect(await listOnce(adapter('f2'), ['second'])).toEqual({ value: ['second'], asked: true });
    expect(await listOnce(adapter('f2'), ['third'])).toEqual({ value: ['second'], asked: false });
  });

  it('reads a kept row that is not JSON as nothing kept, and asks', async () => {
    await listOnce(adapter(), ['first']);
    await db.knex('ingest_listings').update({ sources: '{not json' });
    expect(await listOnce(adapter(), ['second'])).toEqual({ value: ['second'], asked: true });
  });
});
