#!/usr/bin/env node
// A plain `env node`: BusyBox's env (Alpine images) has no -S, so no flags here. V8's young-generation cap
// (--max-semi-space-size=4, about 1 KB less RSS per idle connection, docs/benchmarks.md) cannot be set once V8 is
// running; `npm start` and `serve --workers` pass it, and NODE_OPTIONS=--max-semi-space-size=4 passes it to any run.
import { runMain } from '../dist/src/cli/main.js';

runMain(process.argv.slice(2));
