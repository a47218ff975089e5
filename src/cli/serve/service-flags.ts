/**
 * The flags `serve` and `relay` share: connection limits, TLS, WebSocket, logging, workers. Each is registered once
 * here and turned into library options as typed (the library validates them and names what is wrong).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { InvalidArgumentError } from '../../errors.js';
import { DEFAULT_LIMITS, DEFAULT_SETTINGS, SERVICE_DRAIN_TIMEOUT_MS, type ServeOptions } from '../../server/options.js';
import { formatDuration } from '../../units.js';
import { DEFAULT_METRICS_URL, parseMetricsUrl } from '../../metrics/url.js';
import { countFlag, fileError, fileFlag, type LogFlags } from '../options.js';

export interface ServiceFlags extends LogFlags {
  maxConnections?: string;
  maxConnectionsPerIp?: string;
  idleTimeout?: string;
  sendStallTimeout?: string;
  drainTimeout?: string;
  workers?: string;
  json?: boolean;
  cert?: string;
  key?: string;
  selfSigned?: boolean;
  certOut?: string;
  clientCa?: string;
  tlsHandshakeTimeout?: string;
  wsDeflate?: boolean;
  origin?: string[];
  wsHeartbeat?: string;
  metrics?: string;
  /** false with --no-ui. */
  ui?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** --max-connections, --max-connections-per-ip, --idle-timeout, --send-stall-timeout, --drain-timeout, --workers. */
export function addConnectionFlags(cmd: Command, stallWhat: string): Command {
  const L = DEFAULT_LIMITS;
  return cmd
    .option('--max-connections <n>', `open connections in total, more are reset (default ${L.maxConnections})`)
    .option('--max-connections-per-ip <n>', `open connections from one IP address (default ${L.maxConnectionsPerIp}, for clients on other machines)`)
    .option('--idle-timeout <duration>', `close after no byte either way for this long; 0 = never (default ${formatDuration(L.idleTimeoutMs)})`)
    .option('--send-stall-timeout <duration>', `close a client that stops reading ${stallWhat} for this long; 0 = never (default ${formatDuration(L.sendStallTimeoutMs)})`)
    .option('--drain-timeout <duration>', `on SIGINT/SIGTERM, how long until the process exits at the latest; 0 = at once (default ${formatDuration(SERVICE_DRAIN_TIMEOUT_MS)})`)
    .option('--workers <n>', 'processes sharing the listeners, for more cores (default 1)');
}

/** --cert, --key, --self-signed, --cert-out, --client-ca, --tls-handshake-timeout. */
export function addTlsServerFlags(cmd: Command): Command {
  return cmd
    .option('--cert <file>', 'tls/wss/https: certificate chain (PEM), with --key')
    .option('--key <file>', 'tls/wss/https: private key (PEM)')
    .option('--self-signed', 'tls/wss/https: make a throwaway certificate at start; its SHA-256 fingerprint is logged')
    .option('--cert-out <file>', 'tls/wss/https: write the certificate served (PEM) to FILE, for clients to trust with --ca (or pin with --pin)')
    .option('--client-ca <file>', 'mutual TLS: refuse clients without a certificate signed by a CA in this PEM file')
    .option('--tls-handshake-timeout <duration>', `close TLS handshakes not done in this long (default ${formatDuration(DEFAULT_SETTINGS.tlsHandshakeTimeoutMs)})`);
}

/** --ws-deflate, --origin, --ws-heartbeat. */
export function addWebSocketServerFlags(cmd: Command): Command {
  return cmd
    .option('--ws-deflate', 'offer permessage-deflate compression (default off)')
    .option('--origin <origin>', 'accept WebSocket upgrades only from this Origin (repeat for more)', collect)
    .option('--ws-heartbeat <duration>', `ping WebSocket clients this often, drop silent ones; 0 = never (default ${formatDuration(DEFAULT_SETTINGS.websocket.heartbeatMs)})`);
}

/** --log-level, --log-format, --quiet, --json, --metrics. */
export function addServiceLogFlags(cmd: Command): Command {
  return cmd
    .option('--no-ui', 'do not serve the page (WebSocket tester, chat, dashboard) at /.netecho/ on http(s) listeners')
    .option('--metrics <url>', `serve Prometheus metrics on their own listener, e.g. ${DEFAULT_METRICS_URL} (with --workers: summed over the workers)`)
    .option('--log-level <level>', 'debug, info, warn, error or silent (default info)')
    .option('--log-format <format>', 'text or json (default text)')
    .option('-q, --quiet', 'log warnings and errors only (same as --log-level warn)')
    .option('--json', 'print the listening URLs on stdout as one JSON object');
}

/** The shared flags as options: limits (with the service's 30 s drain), TLS (files read), WebSocket. */
export function serviceOptions(flags: ServiceFlags): Pick<ServeOptions, 'maxConnections' | 'maxConnectionsPerIp' | 'idleTimeout' | 'sendStallTimeout' | 'drainTimeout' | 'tls' | 'ui'> & {
  websocket: NonNullable<ServeOptions['websocket']>;
} {
  const pair = flags.cert !== undefined && flags.key !== undefined;
  return {
    maxConnections: flags.maxConnections,
    maxConnectionsPerIp: flags.maxConnectionsPerIp,
    idleTimeout: flags.idleTimeout,
    sendStallTimeout: flags.sendStallTimeout,
    drainTimeout: flags.drainTimeout ?? SERVICE_DRAIN_TIMEOUT_MS,
    tls: {
      // Read only as a pair: one without the other is the library's error to name, not a missing file.
      cert: pair ? fileFlag(flags.cert, '--cert') : flags.cert,
      key: pair ? fileFlag(flags.key, '--key') : flags.key,
      clientCa: fileFlag(flags.clientCa, '--client-ca'),
      selfSigned: flags.selfSigned,
      handshakeTimeout: flags.tlsHandshakeTimeout,
    },
    websocket: { deflate: flags.wsDeflate, origins: flags.origin, heartbeat: flags.wsHeartbeat },
    ui: flags.ui,
  };
}

/** --workers: at most 4 per core; more only add context switches and memory. */
export function workersFlag(value: string | undefined): number {
  const n = countFlag(value, '--workers') ?? 1;
  const cores = availableParallelism();
  if (n > cores * 4) {
    throw new InvalidArgumentError(`invalid --workers: ${n} is more than ${cores * 4} (4 per core on this machine's ${cores}); more workers than cores only add overhead`);
  }
  return n;
}

/** --cert-out: the certificate served, for clients to trust (--ca) in another terminal. */
export function writeCertificate(path: string, pem: string | null, log: Logger): void {
  if (pem === null) throw new InvalidArgumentError('--cert-out needs a tls://, wss:// or https:// URL to serve');
  try {
    writeFileSync(path, pem, { mode: 0o644 });
  } catch (err) {
    throw new InvalidArgumentError(`cannot write --cert-out "${path}": ${fileError(err)}`);
  }
  log.info(`certificate written to ${path}`);
}

/** --metrics: checked before anything listens. */
export function metricsFlag(value: string | undefined): string | undefined {
  if (value !== undefined) parseMetricsUrl(value);
  return value;
}
