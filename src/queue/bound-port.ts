/**
 * A queue class's public methods and getters as a plain object bound to the instance. Callers may
 * wrap a port (`Object.create(queue)` with one method replaced, as tests of restarts do) or pass
 * its methods around; the class's private state must still be its own when they do.
 */
export function boundPort<T extends object>(impl: T): T {
  const port = {} as Record<string, unknown>;
  const proto = Object.getPrototypeOf(impl) as object;
  for (const key of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, key)!;
    if (key === 'constructor') continue;
    if (d.get) Object.defineProperty(port, key, { get: () => d.get!.call(impl) as unknown, enumerable: true });
    else if (typeof d.value === 'function') port[key] = (d.value as (...a: unknown[]) => unknown).bind(impl);
  }
  return port as T;
}
