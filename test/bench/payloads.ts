/** Payloads the call benchmarks send; both sides of a comparison send the same one. */

export const SMALL_PAYLOAD = { id: 42, hook: 'SessionStart', agent: 'claude-code', tags: ['bench', 'small'], costUsd: 0.0123 };

/** Usage records, the shape an adapter hands back, until the JSON text reaches `bytes`. */
export function usageRecordsPayload(bytes: number): { records: Array<Record<string, string | number>> } {
  const records: Array<Record<string, string | number>> = [];
  let size = 2;
  for (let i = 0; size < bytes; i += 1) {
    const record = {
      sessionId: `session-${i.toString(16).padStart(8, '0')}`,
      model: 'claude-sonnet-4-5',
      inputTokens: 1000 + i,
      outputTokens: 250 + (i % 97),
      cacheReadTokens: 4096,
      recordedAt: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    };
    records.push(record);
    size += JSON.stringify(record).length + 1;
  }
  return { records };
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
