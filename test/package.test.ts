/**
 * The package as a user gets it: `npm pack`, unpacked into an empty project's node_modules (its dependencies linked
 * from this repository's, so nothing is downloaded), then used from ESM, CommonJS, a TypeScript CommonJS project
 * and the CLI, the launcher included under BusyBox's env (Alpine's).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { serve, type EchoServer } from '../src/index.js';
import { missing } from './helpers/peers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** A script that starts a server on port 0, sends to it, prints the echo and closes. */
const USE = `const server = await serve({ listen: 'tcp://127.0.0.1:0' });
  const r = await send(server.addresses[0], 'from the package');
  console.log(r.echo.toString());
  await server.destroy();`;

describe('the packed package in an empty project', () => {
  let dir: string;
  let project: string;
  let server: EchoServer;
  let files: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netecho-pack-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = packed[0];
    assert.ok(tarball !== undefined);
    files = tarball.files.map((f) => f.path);
    project = join(dir, 'project');
    const modules = join(project, 'node_modules');
    mkdirSync(modules, { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-user', version: '1.0.0', private: true }));
    execFileSync('tar', ['xzf', join(dir, tarball.filename), '-C', modules]);
    renameSync(join(modules, 'package'), join(modules, 'netecho'));
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === '.bin' || name.startsWith('.')) continue;
      if (!existsSync(join(modules, name))) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    }
    server = await serve({ listen: 'tcp://127.0.0.1:0' });
  });
  after(async () => {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Run in the project, without blocking this process (the echo server lives here). */
  const run = async (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> => {
    const child = spawn(cmd, args, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = (await once(child, 'close')) as [number | null];
    clearTimeout(killer);
    return { code, stdout, stderr };
  };

  it('ships what it needs and nothing that points at missing files', () => {
    for (const needed of ['bin/netecho.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'README.md', 'package.json']) assert.ok(files.includes(needed), needed);
    assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('dist/benchmarks/') || f.startsWith('test/')));
    const maps = files.filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(project, 'node_modules/netecho', map), 'utf8')) as { sources: string[] };
      for (const source of sources) assert.ok(files.includes(join(dirname(map), source)), `${map} points at ${source}, which is not shipped`);
    }
  });

  it('import from an ES module', async () => {
    writeFileSync(join(project, 'esm.mjs'), `import { serve, send } from 'netecho';\n${USE}\n`);
    assert.deepEqual(await run(process.execPath, ['esm.mjs']), { code: 0, stdout: 'from the package\n', stderr: '' });
  });

  it('require() from CommonJS', async () => {
    writeFileSync(join(project, 'cjs.cjs'), `const { serve, send } = require('netecho');\n(async () => {\n  ${USE}\n})();\n`);
    assert.deepEqual(await run(process.execPath, ['cjs.cjs']), { code: 0, stdout: 'from the package\n', stderr: '' });
  });

  it("the README's quick-start test runs as written (node --test, CommonJS)", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const snippet = /```js\n(const \{ serve, send \} = require\('netecho'\);[^`]*)```/.exec(readme)?.[1];
    assert.ok(snippet !== undefined, "the README's quick start has a CommonJS test snippet");
    writeFileSync(join(project, 'readme.test.cjs'), snippet);
    const { NODE_TEST_CONTEXT: _, ...env } = process.env; // else the child reports to this runner, not to its stdout
    const r = await run(process.execPath, ['--test', '--test-reporter=tap', 'readme.test.cjs'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^# pass 1$/m);
    assert.match(r.stdout, /^# fail 0$/m);
  });

  it('a TypeScript project in CommonJS mode (tsc --module nodenext) compiles `import { serve } from` and runs', async () => {
    const ts = join(project, 'ts');
    mkdirSync(ts, { recursive: true });
    writeFileSync(join(ts, 'package.json'), JSON.stringify({ name: 'a-ts-user', private: true, type: 'commonjs' }));
    writeFileSync(
      join(ts, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, outDir: 'out', types: ['node'], skipLibCheck: true }, files: ['main.ts'] }),
    );
    writeFileSync(join(ts, 'main.ts'), `import { serve, send, type EchoServer } from 'netecho';\nasync function main(): Promise<void> {\n  ${USE}\n  const typed: EchoServer | null = null;\n  void typed;\n}\nvoid main();\n`);
    const tsc = await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'ts']);
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
    assert.match(readFileSync(join(ts, 'out/main.js'), 'utf8'), /require\("netecho"\)/);
    assert.deepEqual(await run(process.execPath, ['ts/out/main.js']), { code: 0, stdout: 'from the package\n', stderr: '' });
  });

  it('the CLI through its launcher: --version, and send', async () => {
    const bin = join(project, 'node_modules/netecho/bin/netecho.js');
    assert.deepEqual(await run(bin, ['--version']), { code: 0, stdout: `${VERSION}\n`, stderr: '' });
    assert.deepEqual(await run(bin, ['send', server.addresses[0] ?? '', 'cli']), { code: 0, stdout: 'Send: cli\nReceived: cli\n', stderr: '' });
  });

  it("the launcher's #! line works under BusyBox's env (Alpine's), which has no -S", { skip: missing('busybox') }, async () => {
    const bin = join(project, 'node_modules/netecho/bin/netecho.js');
    const shebang = readFileSync(bin, 'utf8').split('\n')[0] ?? '';
    const match = /^#!\/usr\/bin\/env(?: (.*))?$/.exec(shebang);
    assert.ok(match !== null, shebang);
    // The kernel passes everything after the interpreter as one argument, as here.
    const r = await run('busybox', ['env', match[1] ?? '', bin, '--version'], { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${VERSION}\n`, '']);
  });
});
