import { trimmedString } from '@rimuru/sdk';

/** Gemini CLI's JSON fields: the SDK's readers, its strings read trimmed. */
export { eachJsonObject, excerpt, isJsonObject, isoTime, tokenCount, type JsonObject } from '@rimuru/sdk';

export const nonEmptyString = trimmedString;
