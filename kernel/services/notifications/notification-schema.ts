import { z } from 'zod';
import type { DeliveryResult, Notification, NotificationLevel } from '../../../sdk/src/kinds/notifier';

export const NOTIFICATION_LEVELS = ['info', 'warning', 'critical'] as const satisfies readonly NotificationLevel[];

/** A notification as a plugin hands it over (`custom:notify`): checked at the door, never trusted. */
export const notificationSchema: z.ZodType<Notification> = z.object({
  title: z.string().min(1).max(500),
  message: z.string().max(8_000),
  level: z.enum(NOTIFICATION_LEVELS),
  source: z.string().min(1).max(200).optional(),
  fields: z
    .record(z.string().min(1).max(200), z.union([z.string().max(2_000), z.number(), z.boolean()]))
    .refine((fields) => Object.keys(fields).length <= 50, { message: 'at most 50 fields' })
    .optional(),
  timestamp: z.string().min(1).max(64),
});

/** What a notifier's `send` / `testConnection` must answer. */
export const deliveryResultSchema: z.ZodType<DeliveryResult> = z.object({
  ok: z.boolean(),
  status: z.number().int().min(0).max(999).optional(),
  error: z.string().max(4_000).optional(),
  attempts: z.number().int().nonnegative().optional(),
  retryable: z.boolean().optional(),
});

/** The custom hook a plugin emits (`ctx.hooks.emit('notify', notification)`, declared in `contributes.emits`) to have a notification routed to the notifiers. */
export const NOTIFY_HOOK = 'custom:notify' as const;
