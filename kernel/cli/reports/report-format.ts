/**
 * How figures read in the human tables: money with cents (four decimals below a cent, so a
 * cheap day does not print as $0.00), token counts with thousands separators.
 */

export function formatUsd(value: number): string {
  if (value === 0) return '$0.00';
  const digits = Math.abs(value) < 0.01 ? 4 : 2;
  return `${value < 0 ? '-' : ''}$${Math.abs(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function formatTokens(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `1h 05m`, `12m`, `3d 4h` — for durations in tables. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
