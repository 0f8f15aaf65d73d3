/**
 * The columns of `usage_records` that reports and exports read record by record — everything
 * but the dedup key and the flags — qualified by the alias `u` their queries give the table.
 */
export const USAGE_RECORD_READ_COLUMNS: readonly string[] = [
  'u.id',
  'u.recorded_at',
  'u.session_id',
  'u.agent_type',
  'u.model',
  'u.provider',
  'u.input_tokens',
  'u.output_tokens',
  'u.cache_write_tokens',
  'u.cache_write_1h_tokens',
  'u.cache_read_tokens',
  'u.reasoning_tokens',
  'u.cost_usd',
  'u.cost_source',
];
