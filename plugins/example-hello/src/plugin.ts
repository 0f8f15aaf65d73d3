import { defineHookPlugin, type PluginContext } from '@rimuru/sdk';

/**
 * Counts kernel boots in its key-value store and greets each one in the log. Everything it
 * touches goes through capabilities; its manifest asks for no permissions at all.
 */
export default defineHookPlugin({
  hooks: {
    async KernelReady(payload, ctx) {
      const boots = ((await ctx.kv.get<number>('boots')) ?? 0) + 1;
      await ctx.kv.set('boots', boots);
      ctx.log.info(`hello from the sandbox: kernel ready with ${payload.running} of ${payload.plugins} plugins running`, { boots });
    },
    PluginLoaded(payload, ctx) {
      ctx.log.debug('plugin loaded', { plugin: payload.plugin, version: payload.version });
    },
  },
  methods: {
    async boots(ctx: PluginContext) {
      return (await ctx.kv.get<number>('boots')) ?? 0;
    },
  },
});
