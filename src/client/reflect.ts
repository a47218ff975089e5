/**
 * `send http://…`: post a message to an HTTP echo (netecho's reflection, or any server) and return the reply.
 * Built on undici, with the same TLS options and timeout as the other clients.
 */
import { Agent, request } from 'undici';
import { formatEndpoint, type Endpoint } from '../endpoint.js';
import { TimeoutError, fromConnectError } from '../errors.js';
import type { ClientTlsOptions } from './tls-options.js';
import { clientTlsOptions } from './tls-options.js';

export interface ReflectResult {
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export async function postMessage(
  endpoint: Endpoint,
  message: Buffer,
  options: { timeoutMs: number; tls?: ClientTlsOptions | undefined; signal?: AbortSignal | undefined },
): Promise<ReflectResult> {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const url = `${endpoint.scheme}://${host}:${endpoint.port}${endpoint.path || '/'}`;
  const target = formatEndpoint(endpoint);
  const timeout = options.timeoutMs > 0 ? options.timeoutMs : 0;
  const agent = new Agent({
    connectTimeout: timeout || undefined,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    ...(endpoint.scheme === 'https' && { connect: clientTlsOptions(endpoint.host, options.tls) }),
  } as Agent.Options);
  try {
    const res = await request(url, {
      method: 'POST',
      body: message,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      dispatcher: agent,
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    return { url: target, status: res.statusCode, headers: res.headers, body };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      throw new TimeoutError(`timed out after ${timeout} ms waiting for ${target}`);
    }
    throw fromConnectError((err as { cause?: unknown }).cause ?? err, target);
  } finally {
    await agent.close();
  }
}
