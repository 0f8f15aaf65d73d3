import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues, formatIssueLines } from '../../config/describe-issues';
import { writeFileAtomic } from '../../fs';
import { ConfigError, ErrorCodes, errorMessage } from '../errors';

/** A user's explicit choice about one plugin; absent = the default for its source. */
export interface PluginChoice {
  enabled: boolean;
}

/**
 * Where `plugin enable`/`plugin disable` choices are kept. The JSON file below is the embedded
 * default; a database-backed store can replace it behind the same interface.
 */
export interface PluginStateStore {
  /** Every stored choice, by plugin name. Nothing stored yet = `{}`. */
  load(): Promise<Record<string, PluginChoice>>;
  /** Replaces every stored choice. */
  save(choices: Record<string, PluginChoice>): Promise<void>;
}

export const PLUGIN_STATE_FILE = 'plugins-state.json';

export function pluginStateFile(dataDir: string): string {
  return path.join(dataDir, PLUGIN_STATE_FILE);
}

// Versioned so a later format can be told apart from this one instead of being misread.
const stateFileSchema = z.strictObject({
  version: z.literal(1),
  plugins: z.record(z.string(), z.strictObject({ enabled: z.boolean() })),
});

/** Choices in `<data dir>/plugins-state.json`. */
export class JsonFilePluginStateStore implements PluginStateStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = pluginStateFile(dataDir);
  }

  async load(): Promise<Record<string, PluginChoice>> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw this.unreadable(errorMessage(error), error);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw this.unreadable(`not valid JSON: ${errorMessage(error)}`, error);
    }
    const parsed = stateFileSchema.safeParse(json);
    if (!parsed.success) {
      throw new ConfigError(
        ErrorCodes.CONFIG_UNREADABLE,
        formatIssueLines(this.file, describeIssues(parsed.error.issues, json)),
        { details: { file: this.file } },
      );
    }
    return parsed.data.plugins;
  }

  /** Written to a temp file, flushed, then renamed over the old one: a crash leaves either file, never half of one. */
  async save(choices: Record<string, PluginChoice>): Promise<void> {
    const sorted = Object.fromEntries(Object.entries(choices).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const text = `${JSON.stringify({ version: 1, plugins: sorted }, null, 2)}\n`;
    try {
      await writeFileAtomic(this.file, text);
    } catch (error) {
      throw new ConfigError(ErrorCodes.CONFIG_UNREADABLE, `${this.file}: cannot write plugin state: ${errorMessage(error)}`, {
        cause: error,
        details: { file: this.file },
      });
    }
  }

  private unreadable(problem: string, cause: unknown): ConfigError {
    return new ConfigError(ErrorCodes.CONFIG_UNREADABLE, `${this.file}: cannot read plugin state: ${problem}`, {
      cause,
      details: { file: this.file },
    });
  }
}
