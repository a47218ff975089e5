/** The live progress line on stderr: only when stderr is a terminal, so logs and pipes stay clean. */
import type { Writable } from 'node:stream';
import type { TickInfo } from '../../bench/engine.js';
import { formatSize } from '../../units.js';

export interface Progress {
  update(info: TickInfo): void;
  done(): void;
}

export function createProgress(stream: Writable & { isTTY?: boolean }, enabled: boolean): Progress {
  if (!enabled || !stream.isTTY) return { update: () => {}, done: () => {} };
  let shown = false;
  return {
    update(info) {
      shown = true;
      const rate = Math.round(info.ratePerSec).toLocaleString('en-US');
      stream.write(
        `\r\x1b[K  ${(info.elapsedMs / 1000).toFixed(0)}s  ${info.phase === 'warmup' ? 'warming up' : 'measuring'}  ` +
          `${rate} round trips/s  ${formatSize(Math.round(info.bytesPerSec))}/s  ${info.connections} connections  errors ${info.errors}`,
      );
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
