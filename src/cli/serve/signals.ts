/** SIGINT/SIGTERM for the long-running commands: the first asks for a drain, a second one forces. */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The exit code of a process stopped by a forced signal: 128 + its number, as shells report it. */
export const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Call `handler(signal, n)` on the n-th SIGINT/SIGTERM (counted together). Returns a function that removes the
 * handlers. Install before announcing anything a client could react to: whoever reads it may signal at once.
 */
export function onStopSignals(handler: (signal: StopSignal, n: number) => void, signals: readonly StopSignal[] = ['SIGINT', 'SIGTERM']): () => void {
  let n = 0;
  const listener = (signal: NodeJS.Signals): void => handler(signal as StopSignal, ++n);
  for (const s of signals) process.on(s, listener);
  return () => {
    for (const s of signals) process.removeListener(s, listener);
  };
}
