import { DEFAULT_LIMITS, LIMIT_CAPS, LIMIT_FLOORS, resolveLimits } from '../../../sandbox/isolate';

describe('resolveLimits', () => {
  it('gives a manifest that asks for nothing the defaults', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({})).toEqual(DEFAULT_LIMITS);
  });

  it('keeps what a manifest asks for inside the caps', () => {
    expect(resolveLimits({ memoryMb: 128, callTimeoutMs: 2_000, wallTimeoutMs: 5_000 })).toEqual({
      ...DEFAULT_LIMITS,
      memoryMb: 128,
      callTimeoutMs: 2_000,
      wallTimeoutMs: 5_000,
    });
  });

  it('clamps requests above the caps to the caps', () => {
    expect(resolveLimits({ memoryMb: 1e9, callTimeoutMs: 1e9, wallTimeoutMs: 1e9, maxResultBytes: 1e12 })).toEqual(LIMIT_CAPS);
  });

  it('raises requests below the floors to the floors', () => {
    expect(resolveLimits({ memoryMb: 1, callTimeoutMs: 0, wallTimeoutMs: -5, maxResultBytes: 3 })).toEqual(LIMIT_FLOORS);
  });

  it('takes the default for values that are not finite numbers', () => {
    expect(resolveLimits({ memoryMb: Number.NaN, callTimeoutMs: Number.POSITIVE_INFINITY })).toEqual(DEFAULT_LIMITS);
  });

  it('never sets the wall deadline below the CPU slice', () => {
    expect(resolveLimits({ callTimeoutMs: 20_000, wallTimeoutMs: 1_000 })).toMatchObject({ callTimeoutMs: 20_000, wallTimeoutMs: 20_000 });
  });

  it('applies caps the kernel passes in instead of the built-in ones', () => {
    const caps = { memoryMb: 32, callTimeoutMs: 500, wallTimeoutMs: 1_000, maxResultBytes: 4_096 };
    expect(resolveLimits({ memoryMb: 64, callTimeoutMs: 10_000 }, caps)).toEqual({ memoryMb: 32, callTimeoutMs: 500, wallTimeoutMs: 1_000, maxResultBytes: 4_096 });
  });

  it('rounds fractional requests down', () => {
    expect(resolveLimits({ memoryMb: 64.9 }).memoryMb).toBe(64);
  });
});
