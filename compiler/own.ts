/**
 * Own-property access for objects whose keys come from users (input names, variable names,
 * YAML keys): `constructor`, `toString` and `__proto__` are ordinary names here, never a
 * look into `Object.prototype`.
 */

/** True when `obj` has `key` as an own property. */
export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** The own property `key` of `obj`, or undefined (never an inherited one). */
export function ownValue(obj: object, key: string): unknown {
  return hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** Sets `obj[key]` as an own, enumerable property, also for `__proto__` (which `=` would not). */
export function setOwn(obj: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else (obj as Record<string, unknown>)[key] = value;
}
