/**
 * The send-stall timeout: a connection whose outgoing queue makes no progress for `ms` while bytes wait for its
 * peer is closed. A timer runs only while a connection is armed (netecho stopped reading from it, or it has
 * requests being answered), never on the echo path; progress (the queue shrinking, or bytes leaving) starts the
 * clock again.
 */

export interface StallWatched {
  /** Bytes queued for the peer right now. */
  queued(): number;
  /** The queue made no progress for the whole timeout: close the connection. */
  stalled(): void;
  /** Bytes handed to the kernel so far, when the queue's length alone cannot show progress. */
  sent?(): number;
  /** Work in progress that may queue bytes later (requests being answered): keep watching while nothing is queued. */
  busy?(): boolean;
  stallTimer: NodeJS.Timeout | null;
  stallMark: number;
  stallSentMark?: number;
}

/** Start watching `item` (no-op when already watched, or when `ms` is 0: never). */
export function armStall(item: StallWatched, ms: number): void {
  if (ms <= 0 || item.stallTimer !== null) return;
  mark(item);
  item.stallTimer = setTimeout(checkStall, ms, item, ms);
}

/** Stop watching: the queue drained, or the connection closed. */
export function disarmStall(item: StallWatched): void {
  if (item.stallTimer === null) return;
  clearTimeout(item.stallTimer);
  item.stallTimer = null;
}

function mark(item: StallWatched): void {
  item.stallMark = item.queued();
  if (item.sent !== undefined) item.stallSentMark = item.sent();
}

function checkStall(item: StallWatched, ms: number): void {
  item.stallTimer = null;
  const queued = item.queued();
  if (queued === 0 && !(item.busy?.() ?? false)) return;
  const progressed = queued === 0 || queued < item.stallMark || (item.sent !== undefined && item.sent() > (item.stallSentMark ?? 0));
  if (progressed) {
    // The peer is reading, slowly (or nothing is owed yet): the clock starts again.
    mark(item);
    item.stallTimer = setTimeout(checkStall, ms, item, ms);
    return;
  }
  item.stalled();
}
