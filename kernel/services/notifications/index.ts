export { NotificationService, NOTIFY_HANDLER_ID } from './notification-service';
export type { NotificationServiceOptions, NotifierHandle, NotifierSandbox, RoutesConfig, DeliveryConfig } from './notification-service';
export { DeliveryLog } from './delivery-log';
export type { DeliveryRecord } from './delivery-log';
export { notificationSchema, deliveryResultSchema, NOTIFY_HOOK, NOTIFICATION_LEVELS } from './notification-schema';
export { redact, secretsOf, REDACTED } from './secret-redaction';
export { withConfiguredGrants, netEntryOf } from './configured-grants';
export type { RunSettings } from './configured-grants';
