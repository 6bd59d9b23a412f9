import type { Json, JsonObject } from '../step-functions-definition';
import { SfnServiceError } from './errors';

export function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Results go through JSON so Dates and class instances from SDK responses become plain JSON. */
export function toJson(value: unknown): Json {
  // undefined for undefined, functions and symbols, which the lib's `string` leaves out.
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? null : (JSON.parse(text) as Json);
}

/** Parses JSON sent by a caller; bad JSON is the caller's error, answered as `errorType`. */
export function parseJson(text: string, errorType: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new SfnServiceError(errorType, `Invalid ${what}: not valid JSON`);
  }
}
