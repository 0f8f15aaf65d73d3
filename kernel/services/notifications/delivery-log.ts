import type { Knex } from 'knex';
import type { NotificationLevel } from '../../../sdk/src/kinds/notifier';
import { storageCall } from '../storage/repositories/storage-call';

/** One notification handed to one notifier, after its last attempt. */
export interface DeliveryRecord {
  /** The notifier plugin's package name. */
  notifier: string;
  /** The notification's source (`CostThreshold`, …), or `test` for `notify test`. */
  event: string;
  level: NotificationLevel;
  title: string;
  status: 'delivered' | 'failed';
  /** HTTP status of the last attempt, when one answered. */
  httpStatus: number | null;
  attempts: number;
  /** Why it failed (secrets cut out). */
  error: { code: string; message: string } | null;
  /** ISO-8601 time of the first attempt. */
  startedAt: string;
  durationMs: number;
}

interface DeliveryRow {
  notifier: string;
  event: string;
  level: string;
  title: string;
  status: string;
  http_status: number | null;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  started_at: number | string;
  duration_ms: number | string;
}

/** `notification_deliveries`: the delivery log `hooks log` shows. */
export class DeliveryLog {
  constructor(private readonly knex: Knex) {}

  async append(record: DeliveryRecord): Promise<void> {
    await storageCall('recording a notification delivery', () =>
      this.knex('notification_deliveries').insert({
        notifier: record.notifier,
        event: record.event.slice(0, 200),
        level: record.level,
        title: record.title.slice(0, 500),
        status: record.status,
        http_status: record.httpStatus,
        attempts: record.attempts,
        error_code: record.error?.code ?? null,
        error_message: record.error?.message.slice(0, 2_000) ?? null,
        started_at: Date.parse(record.startedAt),
        duration_ms: record.durationMs,
      }),
    );
  }

  /** The newest deliveries first. */
  async recent(limit = 50): Promise<DeliveryRecord[]> {
    const rows = (await storageCall('reading the delivery log', () =>
      this.knex('notification_deliveries').select('*').orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit),
    )) as DeliveryRow[];
    return rows.map((row) => ({
      notifier: row.notifier,
      event: row.event,
      level: row.level as NotificationLevel,
      title: row.title,
      status: row.status === 'delivered' ? 'delivered' : 'failed',
      httpStatus: row.http_status === null ? null : Number(row.http_status),
      attempts: Number(row.attempts),
      error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? '' },
      startedAt: new Date(Number(row.started_at)).toISOString(),
      durationMs: Number(row.duration_ms),
    }));
  }
}
