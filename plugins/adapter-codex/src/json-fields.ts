/** The SDK's log-field readers, under the names this adapter's modules import. */
export { isJsonObject, isNormalisedIsoTime, isoTime, nonEmptyString, tokenCount, type JsonObject } from '@rimuru/sdk';
