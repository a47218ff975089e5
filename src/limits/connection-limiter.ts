/**
 * Counts open connections, in total and per client IP, and says which limit a new one would break.
 * Shared by every transport of one server, so the caps hold across all its listeners.
 */

export type RefusalReason = 'max-connections' | 'max-connections-per-ip';

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms: clients on this machine. */
export function isLoopback(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') || ip === '::1';
}

export class ConnectionLimiter {
  readonly #maxTotal: number;
  readonly #maxPerIp: number;
  readonly #capLoopback: boolean;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  /** `capLoopback` false: the per-IP cap leaves loopback clients alone (the total cap still counts them). */
  constructor(maxTotal: number, maxPerIp: number, capLoopback = true) {
    this.#maxTotal = maxTotal;
    this.#maxPerIp = maxPerIp;
    this.#capLoopback = capLoopback;
  }

  get total(): number {
    return this.#total;
  }

  /** Count a connection from `ip` if the limits allow it; otherwise return the limit it would break. */
  acquire(ip: string): RefusalReason | null {
    if (this.#total >= this.#maxTotal) return 'max-connections';
    const n = this.#perIp.get(ip) ?? 0;
    if (n >= this.#maxPerIp && (this.#capLoopback || !isLoopback(ip))) return 'max-connections-per-ip';
    this.#perIp.set(ip, n + 1);
    this.#total++;
    return null;
  }

  /** Forget a connection counted by acquire(). */
  release(ip: string): void {
    const n = this.#perIp.get(ip);
    if (n === undefined) return;
    if (n <= 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, n - 1);
    this.#total--;
  }
}
