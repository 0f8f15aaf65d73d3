import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { AdapterListings } from '../../../kernel/services/ingestion/adapter-listings';
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
