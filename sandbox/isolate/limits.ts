import type { PluginLimits } from '../../sdk/src/manifest';

/** The resource limits one plugin sandbox runs under. */
export interface SandboxLimits {
  /** Isolate heap limit in MB; breaking it kills the isolate (E2001). */
  memoryMb: number;
  /**
   * CPU time one uninterrupted slice of plugin code may take, in ms: the synchronous part of a
   * call, and each stretch of code that runs after a capability call returns (E2002).
   */
  callTimeoutMs: number;
  /** Wall-clock deadline of one host → plugin call, including awaited host work, in ms (E2003). */
  wallTimeoutMs: number;
  /** Largest JSON text a plugin call may return to the host, in bytes (E2005). */
  maxResultBytes: number;
}

const MiB = 1024 * 1024;

/** Limits of a plugin whose manifest asks for nothing. */
export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  memoryMb: 64,
  callTimeoutMs: 10_000,
  wallTimeoutMs: 30_000,
  maxResultBytes: 16 * MiB,
});

/** The most any manifest may ask for: a request above a cap gets the cap. */
export const LIMIT_CAPS: Readonly<SandboxLimits> = Object.freeze({
  memoryMb: 1024,
  callTimeoutMs: 120_000,
  wallTimeoutMs: 600_000,
  maxResultBytes: 64 * MiB,
});

/**
 * The least a request may ask for. isolated-vm refuses heaps under 8 MB; the other floors keep
 * a typo (`callTimeoutMs: 1`) from producing a plugin that can never answer.
 */
export const LIMIT_FLOORS: Readonly<SandboxLimits> = Object.freeze({
  memoryMb: 8,
  callTimeoutMs: 10,
  wallTimeoutMs: 10,
  maxResultBytes: 1024,
});

function pick(requested: number | undefined, fallback: number, floor: number, cap: number): number {
  if (requested === undefined || !Number.isFinite(requested)) return Math.min(fallback, cap);
  return Math.min(Math.max(Math.floor(requested), floor), cap);
}

/**
 * Turns what a manifest (or a test) asks for into the limits a sandbox runs under: missing or
 * non-numeric values take the default, the rest are clamped between the floors and the caps.
 * The wall deadline is never shorter than the CPU slice, since a slice that may run for N ms
 * cannot finish sooner than N ms of wall time.
 */
export function resolveLimits(
  requested: PluginLimits | Partial<SandboxLimits> = {},
  caps: Readonly<SandboxLimits> = LIMIT_CAPS,
): SandboxLimits {
  const asked: Partial<SandboxLimits> = requested;
  const callTimeoutMs = pick(asked.callTimeoutMs, DEFAULT_LIMITS.callTimeoutMs, LIMIT_FLOORS.callTimeoutMs, caps.callTimeoutMs);
  return {
    memoryMb: pick(asked.memoryMb, DEFAULT_LIMITS.memoryMb, LIMIT_FLOORS.memoryMb, caps.memoryMb),
    callTimeoutMs,
    wallTimeoutMs: Math.max(
      pick(asked.wallTimeoutMs, DEFAULT_LIMITS.wallTimeoutMs, LIMIT_FLOORS.wallTimeoutMs, caps.wallTimeoutMs),
      callTimeoutMs,
    ),
    maxResultBytes: pick(asked.maxResultBytes, DEFAULT_LIMITS.maxResultBytes, LIMIT_FLOORS.maxResultBytes, caps.maxResultBytes),
  };
}
