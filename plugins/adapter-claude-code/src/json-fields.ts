/** The SDK's log-field readers, plus the line hash this adapter keys id-less lines with. */
export { eachJsonObject, isJsonObject, isNormalisedIsoTime, isoTime, nonEmptyString, tokenCount, type JsonObject } from '@rimuru/sdk';

/** 64-bit FNV-1a of a string, as 16 hex digits: a stable key for lines that carry no id. */
export function fnv1a64(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    lo ^= text.charCodeAt(i);
    // Multiply the 64-bit (hi, lo) by the FNV prime 0x100000001b3 in 32-bit halves.
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + Math.imul(lo, 0x100) + carry) >>> 0;
    lo = loMul >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
