/** A bench worker thread: runs one engine on its share of the connections and reports to the parent. */
import { parentPort, workerData } from 'node:worker_threads';
import { BenchEngine, type EngineShare } from './engine.js';
import { encodeHistogram } from './histogram.js';
import type { BenchConfig } from './options.js';
import type { FromWorker, ToWorker } from './workers.js';

const { config, share } = workerData as { config: BenchConfig; share: EngineShare };
const port = parentPort;
if (port === null) throw new Error('bench worker started outside a worker thread');

const engine = new BenchEngine(config, share);
const abort = new AbortController();
const post = (m: FromWorker): void => port.postMessage(m);

engine.on('tick', (info) => post({ type: 'tick', info }));
engine.on('measuring', () => post({ type: 'measuring' }));
port.on('message', (m: ToWorker) => {
  if (m.type === 'run') {
    void engine.run(abort.signal).then((r) =>
      post({
        type: 'done',
        counters: r.counters,
        histogram: encodeHistogram(r.histogram),
        windowMs: r.windowMs,
        connected: r.connected,
      }),
    );
  } else if (m.type === 'stop') {
    abort.abort();
  }
});
void engine.connect(abort.signal).then((n) => post({ type: 'connected', count: n }));
