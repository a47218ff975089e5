/**
 * `relay --workers N` without Redis: the workers share rooms through the primary process, which does what Redis
 * does for separate instances (numbering, history, presence, carrying each message to the workers that have the
 * room). These are the messages on the IPC channel (node:cluster with the "advanced" serialization, so data
 * travels as bytes). Every message has `relay` set, to tell it from the supervisor's own.
 */
import type { Notice } from './envelope.js';

/** A publication on the wire: what a Publication holds, its data as bytes. */
export interface WirePublication {
  room: string;
  from: string;
  sender: string;
  binary: boolean;
  ts: number;
  data: Uint8Array;
  epoch?: string;
  seq?: number;
}

export type ToPrimary =
  | { relay: 'pub'; id: number; pub: WirePublication }
  | { relay: 'notice'; notice: Notice }
  | { relay: 'join'; id: number; room: string; key: string; name: string }
  | { relay: 'leave'; room: string; key: string }
  | { relay: 'who'; id: number; room: string }
  | { relay: 'recover'; id: number; room: string; since: string };

export type ToRelayWorker =
  | { relay: 'numbered'; id: number; epoch: string; seq: number }
  | { relay: 'pub'; pub: WirePublication }
  | { relay: 'notice'; notice: Notice }
  | { relay: 'joined'; id: number }
  | { relay: 'who'; id: number; names: string[]; count: number }
  | { relay: 'recovered'; id: number; messages: WirePublication[]; missed: number | null; reason: string };
