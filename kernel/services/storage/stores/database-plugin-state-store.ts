import type { Knex } from 'knex';
import type { PluginChoice, PluginRecord, PluginStateStore } from '../../../core/registry';
import { toStorageError } from '../database';

/**
 * The `plugins` table: the user's enable/disable choices (`enabled`, null = the default for
 * the plugin's source) and, written by a running kernel, each plugin's version, state,
 * reason, bundle integrity and the permissions it was granted when it last loaded.
 */
export class DatabasePluginStateStore implements PluginStateStore {
  constructor(
    private readonly knex: Knex,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<Record<string, PluginChoice>> {
    try {
      const rows = (await this.knex('plugins').select('name', 'enabled').whereNotNull('enabled')) as Array<{ name: string; enabled: boolean | number }>;
      return Object.fromEntries(rows.map((row) => [row.name, { enabled: Boolean(row.enabled) }]));
    } catch (error) {
      throw toStorageError(error, { operation: 'plugins.load' });
    }
  }

  async save(choices: Record<string, PluginChoice>): Promise<void> {
    const at = this.now();
    try {
      await this.knex.transaction(async (trx) => {
        await trx('plugins').whereNotIn('name', Object.keys(choices)).update({ enabled: null, updated_at: at });
        for (const [name, choice] of Object.entries(choices)) {
          await trx('plugins')
            .insert({ name, version: '', state: 'installed', enabled: choice.enabled, updated_at: at })
            .onConflict('name')
            .merge({ enabled: choice.enabled, updated_at: at });
        }
      });
    } catch (error) {
      throw toStorageError(error, { operation: 'plugins.save' });
    }
  }

  /** Mirrors a plugin's registry state; `granted` is the manifest's permissions when it loaded. */
  async recordState(record: PluginRecord): Promise<void> {
    const row = {
      version: record.version,
      state: record.state,
      reason: record.reason ?? null,
      integrity: record.integrity,
      granted_permissions: JSON.stringify(record.manifest?.rimuru.permissions ?? {}),
      updated_at: this.now(),
    };
    try {
      await this.knex('plugins').insert({ name: record.name, ...row }).onConflict('name').merge(row);
    } catch (error) {
      throw toStorageError(error, { operation: 'plugins.recordState' });
    }
  }

  /** What the database says about every plugin a kernel has recorded. */
  async states(): Promise<Array<{ name: string; version: string; state: string; reason: string | null; updatedAt: number }>> {
    const rows = (await this.knex('plugins').select('name', 'version', 'state', 'reason', 'updated_at').orderBy('name')) as Array<{
      name: string;
      version: string;
      state: string;
      reason: string | null;
      updated_at: number;
    }>;
    return rows.map((row) => ({ name: row.name, version: row.version, state: row.state, reason: row.reason, updatedAt: Number(row.updated_at) }));
  }
}
