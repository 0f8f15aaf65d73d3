import type { Logger } from 'pino';
import { firstChanged, type FsObservation, type StatFactsOf } from '../../../sandbox/capabilities/fs-observations';
import { errorMessage } from '../../core/errors';
import type { Database } from '../storage/database';
import type { IngestAdapter } from './ingest-run';

const TABLE = 'ingest_listings';

/** One kept answer of an adapter and what it depended on. */
interface KeptAnswer {
  value: unknown;
  observations: FsObservation[];
}

type ListingCall = 'discover' | 'sources';

export interface StoredListing {
  fingerprint: string;
  discover: KeptAnswer | null;
  sources: KeptAnswer | null;
}

/** Stats taken on another thread (`StatPrefetch`): which paths it has, and their answers once ready. */
export interface PrefetchedStats {
  has(path: string): boolean;
  ready: Promise<void>;
  lookup: StatFactsOf;
}

function parseKept(text: unknown): KeptAnswer | null {
  if (typeof text !== 'string' || text.length === 0) return null;
  try {
    const kept = JSON.parse(text) as Partial<KeptAnswer>;
    return Array.isArray(kept.observations) && 'value' in kept ? { value: kept.value, observations: kept.observations } : null;
  } catch {
    return null;
  }
}

function storedListing(row: Record<string, unknown>): StoredListing {
  return { fingerprint: String(row.fingerprint), discover: parseKept(row.discovery), sources: parseKept(row.sources) };
}

/**
 * An adapter's `discover` and `sources` answers, kept in `ingest_listings` between runs (and
 * processes: every report is a new one) with the file-system observations they were made of
 * (see `CapabilityHost.observe`). `call` answers from the kept one when the adapter's
 * fingerprint is the same and every observation still holds, and asks the adapter otherwise.
 *
 * On a machine with 14,000 transcripts in a few hundred folders this turns a listing walk
 * through the sandbox (readdir of every folder, a capability call each, the gate's checks) into
 * a few hundred stats. Anything the observations cannot vouch for (another capability, a write,
 * a symlink, a file modified in the last 2 s) is not kept: the next run asks again.
 */
export class AdapterListings {
  private readonly loaded = new Map<string, Promise<StoredListing | null>>();
  /** Every kept listing is in `loaded`: a plugin missing there has none. */
  private preloaded = false;
  /** Answers asked for in this run, with the columns they change (both when the stored row stood for nothing). */
  private readonly fresh = new Map<string, { listing: StoredListing; columns: Set<'discovery' | 'sources'> }>();

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly prefetch?: PrefetchedStats,
  ) {}

  /**
   * Reads every plugin's kept listing at once (a run's `call`s then need no query) and names
   * the paths whose stats the run will want (see `StatPrefetch`): the sources they list, and
   * what each kept answer observed.
   */
  static async preload(database: Database, log: Logger): Promise<{ rows: Map<string, StoredListing>; sourcePaths: string[]; observedPaths: string[][] }> {
    const rows = new Map<string, StoredListing>();
    const sourcePaths: string[] = [];
    const observedPaths: string[][] = [];
    try {
      for (const row of (await database.knex(TABLE).select('plugin', 'fingerprint', 'discovery', 'sources')) as Array<Record<string, unknown>>) {
        const listing = storedListing(row);
        rows.set(String(row.plugin), listing);
        for (const kept of [listing.discover, listing.sources]) {
          if (kept !== null) observedPaths.push(kept.observations.map((observation) => observation.path));
        }
        const sources = listing.sources?.value;
        if (!Array.isArray(sources)) continue;
        for (const source of sources as unknown[]) {
          const path = (source as { path?: unknown } | null)?.path;
          if (typeof path === 'string') sourcePaths.push(path);
        }
      }
    } catch (error) {
      log.debug({ err: errorMessage(error) }, 'could not read the kept listings ahead of the ingest');
    }
    return { rows, sourcePaths, observedPaths };
  }

  /**
   * An instance answering from `rows` (see {@link preload}). Observations `prefetch` was given
   * are checked against its stats once it is ready; this thread stats the others meanwhile.
   */
  static fromPreloaded(database: Database, log: Logger, rows: ReadonlyMap<string, StoredListing>, prefetch?: PrefetchedStats): AdapterListings {
    const listings = new AdapterListings(database, log, prefetch);
    for (const [plugin, row] of rows) listings.loaded.set(plugin, Promise.resolve(row));
    listings.preloaded = true;
    return listings;
  }

  /** The adapter's answer to `which`: kept, or asked for now (and kept when it can be). */
  async call(adapter: IngestAdapter, which: ListingCall, ask: () => Promise<unknown>): Promise<unknown> {
    const { observe, fingerprint } = adapter;
    if (observe === undefined || fingerprint === undefined) return ask();
    const stored = await this.load(adapter.plugin);
    // Answers kept for another build, config or set of roots stand for nothing.
    const usable = stored?.fingerprint === fingerprint ? stored : null;
    const kept = usable?.[which] ?? null;
    if (kept !== null) {
      const changed = await this.firstChanged(kept.observations);
      if (changed === null) {
        this.log.trace({ plugin: adapter.plugin, call: which, observations: kept.observations.length }, 'adapter answer unchanged since it was kept');
        return kept.value;
      }
      this.log.debug({ plugin: adapter.plugin, call: which, changed: changed.path }, 'asking the adapter again: something its kept answer looked at changed');
    }
    const answer = await observe(ask);
    const next = this.fresh.get(adapter.plugin) ?? {
      listing: { fingerprint, discover: usable?.discover ?? null, sources: usable?.sources ?? null },
      columns: new Set<'discovery' | 'sources'>(usable === null ? ['discovery', 'sources'] : []),
    };
    next.listing[which] = 'observations' in answer ? { value: answer.value, observations: answer.observations } : null;
    next.columns.add(which === 'discover' ? 'discovery' : 'sources');
    if ('notKept' in answer) this.log.debug({ plugin: adapter.plugin, call: which, why: answer.notKept }, 'adapter answer not kept');
    this.fresh.set(adapter.plugin, next);
    return answer.value;
  }

  private async firstChanged(observations: readonly FsObservation[]): Promise<FsObservation | null> {
    const prefetch = this.prefetch;
    if (prefetch === undefined) return firstChanged(observations);
    const ours = firstChanged(observations.filter((observation) => !prefetch.has(observation.path)));
    if (ours !== null) return ours;
    await prefetch.ready;
    return firstChanged(
      observations.filter((observation) => prefetch.has(observation.path)),
      prefetch.lookup,
    );
  }

  /**
   * Writes the answers asked for in this run, and only those columns: Claude Code's `discover`
   * is asked again after every change to its newest transcript, and rewriting the kept source
   * list with it (5 MB of JSON for 14,000 transcripts) cost each such report ~30 ms. A failure
   * only costs the next run a fresh listing.
   */
  async save(now: number): Promise<void> {
    const writes = [...this.fresh].map(([plugin, { listing, columns }]) => ({
      row: {
        plugin,
        fingerprint: listing.fingerprint,
        discovery: listing.discover === null ? null : JSON.stringify(listing.discover),
        sources: columns.has('sources') && listing.sources !== null ? JSON.stringify(listing.sources) : null,
        updated_at: now,
      },
      merge: ['fingerprint', ...columns, 'updated_at'],
    }));
    this.fresh.clear();
    this.loaded.clear();
    try {
      for (const { row, merge } of writes) await this.database.knex(TABLE).insert(row).onConflict('plugin').merge(merge);
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, 'could not keep the adapters\' listings; the next ingest lists again');
    }
  }

  private load(plugin: string): Promise<StoredListing | null> {
    let loading = this.loaded.get(plugin);
    if (loading === undefined && this.preloaded) return Promise.resolve(null);
    if (loading === undefined) {
      loading = this.database
        .knex(TABLE)
        .where({ plugin })
        .first()
        .then(
          (row: Record<string, unknown> | undefined) => (row === undefined ? null : storedListing(row)),
          (error: unknown) => {
            this.log.debug({ err: errorMessage(error) }, 'could not read a kept listing; asking the adapter');
            return null;
          },
        );
      this.loaded.set(plugin, loading);
    }
    return loading;
  }
}
