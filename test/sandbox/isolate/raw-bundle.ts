import { BUNDLE_GLOBAL, HOST_CALL_GLOBAL } from '../../../sdk/src/protocol';

/**
 * Builds a bundle by hand, without the SDK or esbuild, so these tests pin the sandbox's own
 * contract: `methods` is the source of an object literal of plain JS functions; `invoke` calls
 * one, `hook` calls `methods[hook]`, and a throw becomes a WireError like the SDK's.
 * Inside a method, `host(capability, method, args)` is the raw host-call global (JSON text in
 * and out, WireError text on failure) and `call(...)` behaves like the SDK's clients (parsed
 * result; failures rethrown as errors carrying the host's code and message).
 */
export function rawBundle(methods: string, options: { kind?: string; preamble?: string } = {}): string {
  return `var ${BUNDLE_GLOBAL} = (() => {
  ${options.preamble ?? ''}
  const host = (capability, method, args) => globalThis.${HOST_CALL_GLOBAL}(capability, method, JSON.stringify(args ?? {}));
  const call = async (capability, method, args) => {
    try {
      return JSON.parse(await host(capability, method, args));
    } catch (e) {
      const w = JSON.parse(e.message);
      throw Object.assign(new Error(w.message), { code: w.code });
    }
  };
  const methods = {${methods}};
  const wire = (e) => new Error(JSON.stringify({ code: (e && e.code) || 'E2006', message: String(e && e.message !== undefined ? e.message : e) }));
  let identity = null;
  return { default: { __rimuru: 1, async dispatch(method, argsJson) {
    const input = JSON.parse(argsJson);
    try {
      switch (method) {
        case 'describe': return JSON.stringify({ kind: ${JSON.stringify(options.kind ?? 'hook')}, methods: Object.keys(methods), hooks: [] });
        case 'activate': identity = input; return 'null';
        case 'invoke': {
          if (input.method === 'identity') return JSON.stringify(identity);
          const result = await methods[input.method](...input.args);
          return typeof result === 'string' && result.startsWith('raw:') ? result.slice(4) : JSON.stringify(result === undefined ? null : result);
        }
        case 'hook': return JSON.stringify(await methods[input.hook](input.payload));
        default: return 'null';
      }
    } catch (e) { throw wire(e); }
  } } };
})();`;
}
