import path from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import { PLUGIN_KINDS, type PluginPackageJson } from '../../../sdk/src/manifest';
import { closedObject, describeIssues, formatIssueLines } from '../../config/describe-issues';
import { ErrorCodes, PluginError } from '../errors';

/**
 * The plugin's package.json as the kernel reads it, checked before anything else looks at it.
 * Every object under `rimuru` is closed: an unknown permission key (`fs.reed`) must be an error,
 * not a permission that silently is not granted while the author believes it is — or one that a
 * later kernel starts honouring without anyone having reviewed it.
 */

// npm's own rules for a package name (validate-npm-package-name), without the legacy allowances.
const PACKAGE_NAME = /^(?:@[a-z0-9-*~][a-z0-9-*._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

export const packageNameSchema = z
  .string()
  .max(214, { error: 'a package name of at most 214 characters' })
  .regex(PACKAGE_NAME, { error: 'a lowercase npm package name like my-plugin or @scope/my-plugin' });

// `semver.valid` accepts a leading `v` or `=`; a manifest should carry the canonical form.
const versionSchema = z
  .string()
  .refine((v) => semver.valid(v) !== null && /^\d/.test(v), { error: 'a semver version like 1.2.3' });

const rangeSchema = z
  .string()
  .refine((r) => r.trim() !== '' && semver.validRange(r) !== null, { error: 'a semver range like ^1.0.0' });

// The bundle is loaded from inside the plugin's folder; `main` must not point anywhere else.
const mainSchema = z
  .string()
  .refine(
    (m) => m.trim() !== '' && !path.isAbsolute(m) && !path.normalize(m).split(/[\\/]/).includes('..'),
    { error: 'a relative path inside the plugin folder, like dist/plugin.js' },
  );

const nonEmpty = z.string().min(1);
const positiveInt = z.number().int().positive();
const grantList = z.array(nonEmpty);

export const DATA_PERMISSIONS = ['sessions', 'costs', 'models', 'metrics', 'agents'] as const;

const permissionsSchema = closedObject({
  'fs.read': grantList.optional(),
  'fs.write': grantList.optional(),
  net: grantList.optional(),
  exec: grantList.optional(),
  sqlite: grantList.optional(),
  env: grantList.optional(),
  data: z.array(z.enum(DATA_PERMISSIONS)).optional(),
});

const limitsSchema = closedObject({
  memoryMb: positiveInt.optional(),
  callTimeoutMs: positiveInt.optional(),
  wallTimeoutMs: positiveInt.optional(),
});

const contributesSchema = closedObject({
  adapters: z.array(closedObject({ agentType: nonEmpty, displayName: nonEmpty })).optional(),
  exporters: z.array(closedObject({ format: nonEmpty, fileExtension: nonEmpty })).optional(),
  notifiers: z.array(closedObject({ name: nonEmpty, displayName: nonEmpty.optional() })).optional(),
  views: z.array(closedObject({ id: nonEmpty, title: nonEmpty })).optional(),
  sync: z
    .array(closedObject({ provider: nonEmpty, official: z.boolean().optional(), priority: z.number().int().optional() }))
    .optional(),
  mux: z.array(closedObject({ backend: nonEmpty })).optional(),
  hooks: z
    .array(closedObject({ hook: nonEmpty, priority: z.number().int().optional(), timeoutMs: positiveInt.optional() }))
    .optional(),
  emits: z.array(nonEmpty).optional(),
  commands: z.array(closedObject({ id: nonEmpty, title: nonEmpty })).optional(),
});

const rimuruBlockSchema = closedObject({
  kind: z.enum(PLUGIN_KINDS),
  contributes: contributesSchema.optional(),
  permissions: permissionsSchema.optional(),
  limits: limitsSchema.optional(),
  dependencies: z.record(packageNameSchema, rangeSchema).optional(),
  displayName: nonEmpty.optional(),
});

export const DEFAULT_PLUGIN_MAIN = 'dist/plugin.js';

/** The package.json is open (npm owns most of its keys); only the keys the kernel reads are kept. */
export const pluginManifestSchema = z.object({
  name: packageNameSchema,
  version: versionSchema,
  description: z.string().optional(),
  main: mainSchema.default(DEFAULT_PLUGIN_MAIN),
  engines: z.object({ rimuru: rangeSchema }).catchall(z.string()),
  rimuru: rimuruBlockSchema,
});

/** A validated manifest: the SDK's `PluginPackageJson` with `main` filled in. Frozen. */
export type PluginManifest = PluginPackageJson & { main: string };

// Compile-time guard that what the schema produces is what the SDK promises plugin authors.
type AssertAssignable<Sub extends Super, Super> = Sub;
type _SchemaMatchesSdk = AssertAssignable<z.output<typeof pluginManifestSchema>, PluginManifest>;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Validates a parsed package.json. Throws `PluginError` E3001 with one line per problem, each
 * naming the file, the key path (`rimuru.permissions.net[2]`) and what was expected.
 */
export function parseManifest(json: unknown, file: string): PluginManifest {
  const parsed = pluginManifestSchema.safeParse(json);
  if (parsed.success) return deepFreeze(parsed.data);
  const issues = describeIssues(parsed.error.issues, json);
  throw new PluginError(ErrorCodes.MANIFEST_INVALID, formatIssueLines(file, issues), {
    details: { file, issues },
  });
}
