import { z } from 'zod';

/** A path as plugins send it: absolute or `~/…`, no NUL (which the OS would cut the path at). */
export const pathArg = z
  .string()
  .min(1)
  .max(4096)
  .refine((value) => !value.includes('\0'), 'must not contain NUL');

/** A non-negative integer option that fits in a file offset. */
export const byteCountArg = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A positive timeout in ms. */
export const timeoutArg = z.number().int().positive().max(24 * 60 * 60 * 1000);

/** Header names as HTTP defines them (a token), values without line breaks. */
export const headersArg = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a valid header name'),
  z.string().refine((value) => !/[\r\n\0]/.test(value), 'must not contain CR, LF or NUL'),
);
