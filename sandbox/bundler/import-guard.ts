import { builtinModules } from 'node:module';
import type { Plugin } from 'esbuild';

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/**
 * An esbuild plugin that points `@rimuru/sdk` at this kernel's SDK and refuses what a plugin
 * cannot have inside an isolate, with a message that says what to use instead (esbuild's own
 * "Could not resolve \"fs\"" leaves the author guessing).
 */
export function importGuard(sdkEntry: string): Plugin {
  return {
    name: 'rimuru-import-guard',
    setup(build) {
      build.onResolve({ filter: /^@rimuru\/sdk(\/.*)?$/ }, (args) => {
        if (args.path === '@rimuru/sdk') return { path: sdkEntry };
        return {
          errors: [
            {
              text: `"${args.path}" cannot be bundled into a plugin: only "@rimuru/sdk" itself runs inside the sandbox (the testing harness runs on the host, in your tests)`,
            },
          ],
        };
      });
      build.onResolve({ filter: /^[a-z_:][a-z0-9_/:.-]*$/ }, async (args) => {
        const name = args.path;
        if ((args.pluginData as { rimuruGuard?: boolean } | undefined)?.rimuruGuard) return undefined;
        if (!NODE_BUILTINS.has(name)) return undefined;
        if (!name.startsWith('node:')) {
          // A bare name like "events" may be an npm package the plugin installed on purpose.
          const installed = await build.resolve(name, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { rimuruGuard: true } });
          if (installed.errors.length === 0 && installed.path) return { path: installed.path, namespace: installed.namespace };
        }
        return {
          errors: [
            {
              text: `"${name}" is a Node.js built-in, and plugins run in an isolate without Node: read files, call the network and run binaries through the capability clients on the plugin context (ctx.fs, ctx.http, ctx.exec, …)`,
            },
          ],
        };
      });
    },
  };
}
