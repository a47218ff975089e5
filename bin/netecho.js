#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4 (MiB): V8's young generation otherwise grows to 16 MiB a half and stays committed after a
// burst of connections, about 2 KiB of RSS per idle connection at 10,000 (docs/benchmarks.md). Throughput measured
// the same. `npm start` passes the same flag.
import { runMain } from '../dist/src/cli/main.js';

runMain(process.argv.slice(2));
