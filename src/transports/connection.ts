/**
 * What every connection of a connection-based transport (tcp, tls, the web listeners) has in common: who it is,
 * why it closed, the send-stall watch, and the first step of finishing it in a drain.
 */
import type net from 'node:net';
import type { StallWatched } from '../limits/stall.js';
import type { CloseReason, ConnectionHandle, OpenConnection } from './transport.js';

export interface Peer {
  id: number;
  remoteAddress: string;
  remotePort: number;
}

export abstract class AdmittedConnection implements ConnectionHandle, StallWatched, OpenConnection {
  /** The TCP socket: its byte counters show activity, its close is the connection's. */
  readonly wire: net.Socket;
  readonly transport: string;
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly openedAt = Date.now();
  reason: CloseReason | null = null;
  finishing = false;
  stallTimer: NodeJS.Timeout | null = null;
  stallMark = 0;

  constructor(wire: net.Socket, transport: string, peer: Peer) {
    this.wire = wire;
    this.transport = transport;
    this.id = peer.id;
    this.remoteAddress = peer.remoteAddress;
    this.remotePort = peer.remotePort;
  }

  activity(): number {
    return this.wire.bytesRead + this.wire.bytesWritten;
  }

  bytes(): { in: number; out: number } {
    return { in: this.wire.bytesRead, out: this.wire.bytesWritten };
  }

  /** Bytes waiting for the peer. */
  abstract queued(): number;

  stalled(): void {
    this.destroy('send-stall');
  }

  /** Finish once (a drain's deadline is near): what is under way completes, then the connection closes. */
  finish(reason: CloseReason = 'drain-deadline'): void {
    if (this.finishing) return;
    this.finishing = true;
    this.reason ??= reason;
    this.onFinish();
  }

  protected abstract onFinish(): void;

  abstract destroy(reason: CloseReason): void;
}
