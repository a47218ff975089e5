/**
 * A CommonJS dependency required the first time it is needed, synchronously (so an API that returns at once can
 * use it), and not before: a process that never needs it does not load it.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter for package `name`, loaded on its first call. */
export function requireOnFirstUse<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
