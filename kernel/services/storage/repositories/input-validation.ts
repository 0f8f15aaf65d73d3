import { z } from 'zod';
import { ErrorCodes, StorageError } from '../../../core/errors';
import type { Instant } from '../types';

/** Validates what a caller asks to store, at the door. @throws StorageError E1008 */
export function validateInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`).join('; ');
    throw new StorageError(ErrorCodes.DB_INVALID_RECORD, `invalid ${what}, nothing was written: ${issues}`, { details: { what } });
  }
  return result.data;
}

/** A `Date` or epoch ms, as whole epoch milliseconds. */
export const instantSchema = z
  .union([z.number().finite(), z.date()])
  .transform((value: Instant) => Math.floor(value instanceof Date ? value.getTime() : value))
  .refine((ms) => Number.isFinite(ms) && ms >= 0, 'a valid time after 1970');

/** A JSON object (stored as `text`). */
export const jsonObjectSchema = z.record(z.string(), z.unknown());
export const stringListSchema = z.array(z.string());

