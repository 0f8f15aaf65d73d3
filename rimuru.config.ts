import { defineConfig } from '@rimuru/sdk';

/**
 * The config `rimuru-kernel run` uses in this checkout. Every value below is the built-in
 * default, written out so the knobs are easy to find; delete what you do not change.
 * Environment variables (RIMURU_DATA_DIR, RIMURU_DATABASE_URL, RIMURU_LOG_LEVEL,
 * RIMURU_PLUGIN_DIR) override this file.
 */
export default defineConfig({
  logLevel: 'info',
  plugins: {
    // Built-ins run unless disabled here or with `rimuru-kernel plugin disable <name>`;
    // user-installed plugins run only once enabled.
    enabled: {},
    config: {},
  },
  sandbox: {
    defaults: { memoryMb: 64, callTimeoutMs: 10_000, wallTimeoutMs: 30_000 },
    restart: { maxRestarts: 3, backoffMs: 1_000, maxBackoffMs: 30_000 },
  },
  hooks: { defaultTimeoutMs: 5_000 },
});
