/**
 * An incremental HTTP/1.1 response reader for bench's HTTP links: status line, the headers that frame the body
 * (Content-Length, chunked Transfer-Encoding, or until the connection closes), and the body, across reads that
 * split or join responses anyhow. It keeps only what it must between reads: the body it hands over may be a view of
 * the caller's read buffer, valid during the callback only.
 */
import { ProtocolError } from '../../errors.js';

/** One whole response: its status and body (a view that is reused after the call). */
export type OnResponse = (status: number, body: Buffer) => void;

const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);
/** A response head (status line and headers) larger than this is refused. */
export const MAX_HEAD_BYTES = 64 * 1024;

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailer,
  UntilClose,
}

export class ResponseReader {
  readonly #onResponse: OnResponse;
  /** Bytes of an unfinished head, chunk-size line or trailer, copied out of the read buffer. */
  #pending: Buffer | null = null;
  #state = State.Head;
  #status = 0;
  #remaining = 0;
  /** Parts of a body that spans reads (copies). */
  #parts: Buffer[] = [];
  /** Responses to HEAD requests expected next: they have no body whatever their headers say. */
  #bodiless = 0;

  constructor(onResponse: OnResponse) {
    this.#onResponse = onResponse;
  }

  /** The next response not yet marked answers a HEAD request (so HEAD requests must precede the others in flight). */
  expectBodiless(): void {
    this.#bodiless++;
  }

  /**
   * Read `len` bytes of `chunk`; calls back for each response completed.
   * @throws ERR_NETECHO_PROTOCOL on a response that is not HTTP/1.x or is framed wrongly
   */
  push(chunk: Buffer, len = chunk.length): void {
    let buf = chunk.subarray(0, len);
    if (this.#pending !== null) {
      buf = Buffer.concat([this.#pending, buf]);
      this.#pending = null;
    }
    let off = 0;
    while (off < buf.length) {
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf(HEAD_END, off);
          if (end < 0) return this.#keep(buf, off, 'response head');
          off = this.#head(buf.toString('latin1', off, end), end + 4);
          break;
        }
        case State.Body: {
          const n = Math.min(this.#remaining, buf.length - off);
          if (this.#parts.length === 0 && n === this.#remaining) {
            this.#finish(buf.subarray(off, off + n));
          } else {
            this.#parts.push(Buffer.from(buf.subarray(off, off + n)));
            this.#remaining -= n;
            if (this.#remaining === 0) this.#finish(Buffer.concat(this.#parts));
          }
          off += n;
          break;
        }
        case State.ChunkSize: {
          const eol = buf.indexOf('\r\n', off);
          if (eol < 0) return this.#keep(buf, off, 'chunk size line');
          const text = buf.toString('latin1', off, eol).split(';')[0]?.trim() ?? '';
          if (!/^[0-9a-fA-F]{1,8}$/.test(text)) throw new ProtocolError(`bad chunk size in an HTTP response: "${text.slice(0, 20)}"`);
          this.#remaining = parseInt(text, 16);
          this.#state = this.#remaining === 0 ? State.Trailer : State.ChunkData;
          off = eol + 2;
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.#remaining, buf.length - off);
          this.#parts.push(Buffer.from(buf.subarray(off, off + n)));
          this.#remaining -= n;
          off += n;
          if (this.#remaining === 0) this.#state = State.ChunkEnd;
          break;
        }
        case State.ChunkEnd: {
          if (buf.length - off < 2) return this.#keep(buf, off, 'chunk end');
          if (buf[off] !== 0x0d || buf[off + 1] !== 0x0a) throw new ProtocolError('an HTTP response chunk does not end with CRLF');
          off += 2;
          this.#state = State.ChunkSize;
          break;
        }
        case State.Trailer: {
          const eol = buf.indexOf('\r\n', off);
          if (eol < 0) return this.#keep(buf, off, 'trailer');
          if (eol === off) this.#finish(Buffer.concat(this.#parts));
          off = eol + 2;
          break;
        }
        case State.UntilClose:
          this.#parts.push(Buffer.from(buf.subarray(off)));
          off = buf.length;
          break;
      }
    }
  }

  /** The connection ended: a body framed by the close is whole now. True when a response was cut short. */
  end(): boolean {
    if (this.#state === State.UntilClose) {
      this.#finish(Buffer.concat(this.#parts));
      return false;
    }
    return this.#state !== State.Head || this.#pending !== null;
  }

  /** Parse a head (without its blank line); returns where the body starts. */
  #head(head: string, bodyAt: number): number {
    if (!/^HTTP\/1\.[01] [1-5]\d\d[ \r]/.test(`${head}\r`)) throw new ProtocolError(`not an HTTP/1.x response: "${head.slice(0, 40)}"`);
    this.#status = Number(head.slice(9, 12));
    if (this.#status < 200) return bodyAt; // 1xx: informational, the real response follows
    let length = -1;
    let chunked = false;
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ProtocolError(`bad header line in an HTTP response: "${line.slice(0, 40)}"`);
      const name = line.slice(0, colon).trim().toLowerCase();
      if (name === 'content-length') {
        const v = line.slice(colon + 1).trim();
        if (!/^\d{1,15}$/.test(v) || (length >= 0 && Number(v) !== length)) throw new ProtocolError(`bad Content-Length in an HTTP response: "${v.slice(0, 20)}"`);
        length = Number(v);
      } else if (name === 'transfer-encoding') {
        chunked = /(^|,)\s*chunked\s*$/i.test(line.slice(colon + 1));
      }
    }
    if (this.#bodiless > 0 || this.#status === 204 || this.#status === 304) {
      if (this.#bodiless > 0) this.#bodiless--;
      this.#finish(EMPTY);
    } else if (chunked) {
      this.#state = State.ChunkSize;
    } else if (length >= 0) {
      this.#remaining = length;
      this.#state = State.Body;
      if (length === 0) this.#finish(EMPTY);
    } else {
      this.#state = State.UntilClose;
    }
    return bodyAt;
  }

  #finish(body: Buffer): void {
    this.#state = State.Head;
    this.#parts = [];
    this.#onResponse(this.#status, body);
  }

  #keep(buf: Buffer, off: number, what: string): void {
    if (buf.length - off > MAX_HEAD_BYTES) throw new ProtocolError(`HTTP response ${what} longer than ${MAX_HEAD_BYTES} bytes`);
    this.#pending = Buffer.from(buf.subarray(off));
  }
}
