/**
 * The shape of src/: every import points down the layers (or within its own folder), no import cycle, and no file
 * grows past what one idea needs. Read from the TypeScript sources, so it checks what is written, not what is built.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Layers, lowest first. A file may import from a lower layer, or from its own folder. Folders in one layer do not
 * import each other, except where ALSO_ALLOWED says so.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors.ts'],
  ['units.ts', 'typed-emitter.ts', 'headers.ts', 'option-shape.ts', 'endpoint.ts', 'require-on-first-use.ts'],
  ['limits', 'telemetry'],
  ['transports', 'client'],
  ['server', 'http-client', 'bench'],
  ['relay'],
  ['metrics'],
  ['cli'],
  ['index.ts'],
];

/** Same-layer imports that are part of the design. */
const ALSO_ALLOWED: ReadonlyArray<[string, string]> = [];

/** Downward imports that skip a layer's front door: the CLI uses the server through server/, not its transports. */
const FORBIDDEN: ReadonlyArray<[string, string]> = [['cli', 'transports']];

/** Longest file, in lines. */
const MAX_LINES = 320;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level part of src a file belongs to: "errors.ts", or a folder such as "client". */
function part(file: string): string {
  return relative(SRC, file).split('/')[0] ?? '';
}

function layerOf(file: string): number {
  const p = part(file);
  const layer = LAYERS.findIndex((names) => names.includes(p));
  assert.notEqual(layer, -1, `${relative(SRC, file)}: its part "${p}" has no layer in test/architecture.test.ts`);
  return layer;
}

/** Relative imports of a file (static, dynamic and `export ... from`), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    out.push(resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts')));
  }
  return out;
}

const all = files(SRC);
const graph = new Map(all.map((f) => [f, importsOf(f)]));

describe('the architecture of src/', () => {
  it('every import points down the layers, or stays in its own folder', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      for (const target of imports) {
        const [a, b] = [layerOf(file), layerOf(target)];
        const sameFolder = part(file) === part(target);
        const allowed = ALSO_ALLOWED.some(([x, y]) => x === part(file) && y === part(target));
        const forbidden = FORBIDDEN.some(([x, y]) => x === part(file) && y === part(target));
        if (b > a || (b === a && !sameFolder && !allowed) || forbidden) upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    assert.deepEqual(upward, []);
  });

  it('no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of all) visit(file, []);
    assert.deepEqual(cycles, []);
  });

  it(`no file in src/ is longer than ${MAX_LINES} lines`, () => {
    const long = all.map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > MAX_LINES);
    assert.deepEqual(long, []);
  });

  it('src/index.ts only re-exports', () => {
    const code = readFileSync(join(SRC, 'index.ts'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trim().startsWith('/') && !l.trim().startsWith('*'));
    assert.deepEqual(code.filter((l) => !/^export (\*|\{|type \{)/.test(l) && !/^\s/.test(l) && !/^\}/.test(l)), []);
  });

  it('heavy dependencies are loaded on first use (serve never loads them): elsewhere their imports are for types', () => {
    // A process pays only for what it uses: the CLI's old space after start-up went from 9.4 to 7.0 MB.
    const lazy = ['undici', 'ioredis', 'jose', 'prom-client', 'hdr-histogram-js'];
    const eager = all.flatMap((f) => {
      const code = readFileSync(f, 'utf8');
      return lazy.filter((pkg) => new RegExp(`^import (?!type )[^;]*from '${pkg}'`, 'm').test(code)).map((pkg) => `${relative(SRC, f)}: ${pkg}`);
    });
    assert.deepEqual(eager, []);
  });
});
