/**
 * JSON Merge Patch (RFC 7396): `diff(a, b)` builds the smallest patch that `apply` turns `a` into `b`.
 *
 * Inputs must be JSON values without `null` members (the NowPlaying model guarantees that): a merge
 * patch cannot tell "set to null" from "delete", so `null` in a document is the one thing it cannot carry.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of two JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * The merge patch from `before` to `after`, or `undefined` when they are equal (nothing to send).
 * Objects are compared member by member; arrays and primitives are replaced whole.
 */
export function diff(before: unknown, after: unknown): JsonValue | undefined {
  if (jsonEqual(before, after)) return undefined;
  if (!isJsonObject(before) || !isJsonObject(after)) return after as JsonValue;
  const patch: JsonObject = {};
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) setMember(patch, key, null);
  }
  for (const key of Object.keys(after)) {
    const member = Object.hasOwn(before, key) ? diff(before[key], after[key]) : cloneJson(after[key]!);
    if (member !== undefined) setMember(patch, key, member);
  }
  return patch;
}

/** RFC 7396 §2 MergePatch(Target, Patch). Never mutates its arguments. */
export function apply<T = JsonValue>(target: unknown, patch: unknown): T {
  if (!isJsonObject(patch)) return cloneJson(patch as JsonValue) as T;
  const result: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setMember(result, key, apply(result[key], value));
  }
  return result as T;
}

// A plain assignment to `__proto__` would replace the object's prototype; a patch from the wire
// may carry that key, so members are always defined as own data properties.
function setMember(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function cloneJson<T extends JsonValue>(value: T): T {
  return typeof value === 'object' && value !== null ? (JSON.parse(JSON.stringify(value)) as T) : value;
}
