import type { HookName, HookPayload, HookResult } from '../../../sdk/src/hooks';

/** Who registered a handler: `'host'` for kernel code, else the plugin's package name. */
export type HookOwner = string;

/**
 * One subscriber to one hook. Host code writes these directly; the lead wraps a sandbox's
 * `runHook` into one, which is why results are validated rather than trusted.
 */
export interface HookHandler<H extends HookName = HookName> {
  /** Stable id, unique per owner; it names the handler in records and errors. */
  readonly id: string;
  readonly owner: HookOwner;
  readonly hook: H;
  /** Lower runs first; equal priorities run in registration order. */
  readonly priority: number;
  /** Overrides the bus default for this handler only. */
  readonly timeoutMs?: number;
  // Method syntax on purpose: it keeps typed host handlers assignable to the bus's
  // `HookHandler<HookName>` (whose payload is `unknown`).
  handle(payload: HookPayload<H>): Promise<HookResult> | HookResult;
}

/** Owner value for handlers the kernel itself registers. */
export const HOST_OWNER: HookOwner = 'host';
