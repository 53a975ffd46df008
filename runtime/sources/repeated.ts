// Children of an event element that share a name (repeated <Data> without Name, <Binary>, …)
// collect into one array, marked `__multi` (not enumerable) so a value that was an array on
// its own is never mistaken for such a collection. The EVTX renderer and the embedded-XML
// reader build the same shape with it.

/** Sets obj[key], or appends to the key's collection. Own keys only: a child named
 *  `toString`, `constructor` or `__proto__` is a field like any other. */
export function addRepeated(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (!Object.hasOwn(obj, key)) {
    if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
    else obj[key] = value;
    return;
  }
  const prev = obj[key];
  if (Array.isArray(prev) && (prev as { __multi?: true }).__multi) prev.push(value);
  else {
    const arr = [prev, value];
    Object.defineProperty(arr, '__multi', { value: true, enumerable: false });
    obj[key] = arr;
  }
}
