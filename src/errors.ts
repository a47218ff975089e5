/**
 * Every error netecho throws is a NetechoError with a stable `code`.
 * Codes never change meaning; docs/errors.md lists each one (a test keeps the two in step).
 */

export type NetechoErrorCode =
  | 'ERR_NETECHO_INVALID_ARGUMENT'
  | 'ERR_NETECHO_INVALID_URL'
  | 'ERR_NETECHO_UNSUPPORTED_SCHEME'
  | 'ERR_NETECHO_ADDRESS_IN_USE'
  | 'ERR_NETECHO_ADDRESS_UNAVAILABLE'
  | 'ERR_NETECHO_PERMISSION_DENIED'
  | 'ERR_NETECHO_CONNECT_REFUSED'
  | 'ERR_NETECHO_HOST_NOT_FOUND'
  | 'ERR_NETECHO_HOST_UNREACHABLE'
  | 'ERR_NETECHO_TIMEOUT'
  | 'ERR_NETECHO_CONNECTION_RESET'
  | 'ERR_NETECHO_CONNECTION_CLOSED'
  | 'ERR_NETECHO_ECHO_MISMATCH'
  | 'ERR_NETECHO_SERVER_CLOSED'
  | 'ERR_NETECHO_ABORTED'
  | 'ERR_NETECHO_TLS'
  | 'ERR_NETECHO_PROTOCOL';

type Render = (...names: string[]) => string;

/** A message about options, kept as data so it can be said with other names (the CLI's flags). */
export interface AboutOptions {
  /** The options, as the library names them (`maxQueued`, `tls.ca`). */
  readonly options: readonly string[];
  readonly render: Render;
}

export class NetechoError extends Error {
  readonly code: NetechoErrorCode;
  /** The options the message is about, as the library names them; the first is the one at fault. */
  readonly options: readonly string[];
  readonly #about: AboutOptions | null;

  constructor(code: NetechoErrorCode, message: string | AboutOptions, options?: { cause?: unknown }) {
    super(typeof message === 'string' ? message : message.render(...message.options), options);
    this.name = new.target.name;
    this.code = code;
    this.options = typeof message === 'string' ? [] : [...message.options];
    this.#about = typeof message === 'string' ? null : message;
  }

  /** The option at fault, as the library names it (undici's InvalidArgumentError has the same field). */
  get option(): string | undefined {
    return this.options[0];
  }

  /** The same message with each option called `name(option)` (the error itself is not changed). */
  messageWith(name: (option: string) => string): string {
    return this.#about === null ? this.message : this.#about.render(...this.#about.options.map(name));
  }
}

/**
 * An option or argument has a value netecho cannot use. When the message is about options, `options` names them
 * as the library spells them, and messageWith() says it with other names.
 */
export class InvalidArgumentError extends NetechoError {
  constructor(message: string);
  constructor(options: readonly string[], render: Render);
  constructor(messageOrOptions: string | readonly string[], render?: Render) {
    super('ERR_NETECHO_INVALID_ARGUMENT', typeof messageOrOptions === 'string' ? messageOrOptions : { options: messageOrOptions, render: render as Render });
  }
}

/** "invalid OPTION: DETAIL", with the option as data. */
export function invalidOption(option: string, detail: string): InvalidArgumentError {
  return new InvalidArgumentError([option], (name) => `invalid ${name}: ${detail}`);
}

/** An endpoint URL does not follow the grammar (scheme://host:port). The message quotes the text. */
export class InvalidUrlError extends NetechoError {
  constructor(message: string) {
    super('ERR_NETECHO_INVALID_URL', message);
  }
}

/** A valid scheme that this command or build does not serve or speak yet. */
export class UnsupportedSchemeError extends NetechoError {
  constructor(message: string) {
    super('ERR_NETECHO_UNSUPPORTED_SCHEME', message);
  }
}

export class AddressInUseError extends NetechoError {
  constructor(message: string, cause?: unknown) {
    super('ERR_NETECHO_ADDRESS_IN_USE', message, { cause });
  }
}

export class AddressUnavailableError extends NetechoError {
  constructor(message: string, cause?: unknown) {
    super('ERR_NETECHO_ADDRESS_UNAVAILABLE', message, { cause });
  }
}

export class PermissionDeniedError extends NetechoError {
  constructor(message: string, cause?: unknown) {
    super('ERR_NETECHO_PERMISSION_DENIED', message, { cause });
  }
}

export class ConnectRefusedError extends NetechoError {
  constructor(message: string, cause?: unknown) {
    super('ERR_NETECHO_CONNECT_REFUSED', message, { cause });
  }
}

export class HostNotFoundError extends NetechoError {
  constructor(message: string, cause?: unknown) {
    super('ERR_NETECHO_HOST_NOT_FOUND', message, { cause });
  }
}

export class HostUnreachableError extends NetechoError {
  constructor(message: string, cause?: unknown) {
    super('ERR_NETECHO_HOST_UNREACHABLE', message, { cause });
  }
}

export class TimeoutError extends NetechoError {
  constructor(message: string) {
    super('ERR_NETECHO_TIMEOUT', message);
  }
}

export class ConnectionResetError extends NetechoError {
  constructor(message: string, cause?: unknown) {
    super('ERR_NETECHO_CONNECTION_RESET', message, { cause });
  }
}

/** The peer closed the connection before the whole echo came back. */
export class ConnectionClosedError extends NetechoError {
  constructor(message: string) {
    super('ERR_NETECHO_CONNECTION_CLOSED', message);
  }
}

/** The bytes that came back differ from the bytes sent. */
export class EchoMismatchError extends NetechoError {
  constructor(message: string) {
    super('ERR_NETECHO_ECHO_MISMATCH', message);
  }
}

/** An operation on a server that is closing or closed. */
export class ServerClosedError extends NetechoError {
  constructor(message: string) {
    super('ERR_NETECHO_SERVER_CLOSED', message);
  }
}

/** An operation stopped by its AbortSignal. */
export class AbortedError extends NetechoError {
  constructor(message = 'operation aborted') {
    super('ERR_NETECHO_ABORTED', message);
  }
}

/** The TLS handshake failed: the peer's certificate did not verify, or the peer refused ours (or its absence). */
export class TlsError extends NetechoError {
  constructor(message: string | AboutOptions, cause?: unknown) {
    super('ERR_NETECHO_TLS', message, { cause });
  }
}

/** The peer spoke the protocol in a way netecho cannot use: a refused WebSocket upgrade, an unexpected close code. */
export class ProtocolError extends NetechoError {
  constructor(message: string | AboutOptions, cause?: unknown) {
    super('ERR_NETECHO_PROTOCOL', message, { cause });
  }
}

/** Every code, for docs and exhaustive checks. */
export const ERROR_CODES: readonly NetechoErrorCode[] = [
  'ERR_NETECHO_INVALID_ARGUMENT',
  'ERR_NETECHO_INVALID_URL',
  'ERR_NETECHO_UNSUPPORTED_SCHEME',
  'ERR_NETECHO_ADDRESS_IN_USE',
  'ERR_NETECHO_ADDRESS_UNAVAILABLE',
  'ERR_NETECHO_PERMISSION_DENIED',
  'ERR_NETECHO_CONNECT_REFUSED',
  'ERR_NETECHO_HOST_NOT_FOUND',
  'ERR_NETECHO_HOST_UNREACHABLE',
  'ERR_NETECHO_TIMEOUT',
  'ERR_NETECHO_CONNECTION_RESET',
  'ERR_NETECHO_CONNECTION_CLOSED',
  'ERR_NETECHO_ECHO_MISMATCH',
  'ERR_NETECHO_SERVER_CLOSED',
  'ERR_NETECHO_ABORTED',
  'ERR_NETECHO_TLS',
  'ERR_NETECHO_PROTOCOL',
];

/**
 * Turn a Node system error from connect() into a NetechoError that says what happened in one line.
 * `target` is the endpoint as the user wrote it.
 */
export function fromConnectError(err: unknown, target: string): NetechoError {
  if (err instanceof NetechoError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectRefusedError(`connection refused by ${target}`, err);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new HostNotFoundError(`cannot resolve host of ${target}`, err);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new HostUnreachableError(`cannot reach ${target} (${code})`, err);
    case 'ETIMEDOUT':
      return new TimeoutError(`timed out connecting to ${target}`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ConnectionResetError(`connection to ${target} was reset`, err);
    default:
      if (isTlsFailure(err)) return new TlsError(tlsFailure(err, target), err);
      return new ConnectionResetError(`connection to ${target} failed: ${describe(err)}`, err);
  }
}

/** Turn a listen() failure into a NetechoError naming the address. */
export function fromListenError(err: unknown, target: string): NetechoError {
  if (err instanceof NetechoError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new AddressInUseError(`cannot listen on ${target}: address already in use`, err);
    case 'EACCES':
    case 'EPERM':
      return new PermissionDeniedError(`cannot listen on ${target}: permission denied (ports below 1024 need privileges)`, err);
    case 'EADDRNOTAVAIL':
    case 'EAFNOSUPPORT':
      return new AddressUnavailableError(`cannot listen on ${target}: address not available on this machine`, err);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new HostNotFoundError(`cannot listen on ${target}: cannot resolve host`, err);
    default:
      return new AddressUnavailableError(`cannot listen on ${target}: ${describe(err)}`, err);
  }
}

/** OpenSSL and certificate-verification codes, as Node reports them. */
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
]);

function isTlsFailure(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return false;
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

/** Why a TLS handshake failed, with the options that would fix it as data. */
function tlsFailure(err: unknown, target: string): AboutOptions {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e.code ?? '';
  const say = (why: string, options: string[], hint: Render): AboutOptions => ({ options, render: (...n) => `TLS with ${target} failed: ${why} (${hint(...n)})` });
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') {
    return say('the certificate is self-signed', ['tls.ca', 'tls.insecure'], (ca, insecure) => `pass ${ca} with it, or ${insecure}`);
  }
  if (code.startsWith('UNABLE_TO_')) {
    return say('the certificate is not signed by a trusted CA', ['tls.ca', 'tls.insecure'], (ca, insecure) => `pass ${ca} with its CA, or ${insecure}`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return say(e.reason ?? 'the certificate does not name this host', ['tls.servername'], (s) => `use ${s}`);
  }
  const why = code.startsWith('ERR_SSL_') ? (e.reason ?? code).toLowerCase().replace(/^ssl[a-z0-9/ ]*routines:/, '') : e.message;
  return { options: [], render: () => `TLS with ${target} failed: ${why}` };
}

function describe(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.message;
  return String(err);
}
