/**
 * An EventEmitter whose event names and listener arguments are type-checked (as MQTT.js does).
 */
import { EventEmitter } from 'node:events';

export type EventMap<T> = { [K in keyof T]: unknown[] };

// Declaration merging narrows EventEmitter's signatures to the event map E.
export declare interface TypedEmitter<E extends EventMap<E>> {
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this;
  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this;
  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this;
  emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class TypedEmitter<E extends EventMap<E>> extends EventEmitter {}
