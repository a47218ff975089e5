/** What a WebSocket close code means (RFC 6455 section 7.4.1, and the registered ones). */
const MEANINGS: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away (the server is shutting down, or the page left)',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status code given',
  1006: 'closed abnormally (no close frame: the connection dropped or was refused)',
  1007: 'invalid payload (for example, text that is not UTF-8)',
  1008: 'policy violation (a limit, or too slow to read)',
  1009: 'message too big',
  1010: 'a required extension was not negotiated',
  1011: 'internal server error',
  1012: 'service restart',
  1013: 'try again later',
  1015: 'TLS handshake failed',
};

export function closeMeaning(code: number): string {
  return MEANINGS[code] ?? (code >= 4000 ? 'application-defined' : 'unknown');
}
