import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXIT_FOR_CODE } from '../src/cli/exit-codes.js';
import * as api from '../src/index.js';
import { ERROR_CODES, NetechoError, fromConnectError, fromListenError } from '../src/errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('docs/errors.md lists every code with its exit code, and no other', () => {
    const documented = [...doc.matchAll(/^\| `(ERR_NETECHO_[A-Z_]+)` \| `(\w+)` \| .* \| (\d+) \|$/gm)];
    assert.deepEqual(documented.map((m) => m[1]).sort(), [...ERROR_CODES].sort());
    for (const m of documented) {
      assert.equal(EXIT_FOR_CODE[m[1] as keyof typeof EXIT_FOR_CODE], Number(m[3]), `exit code of ${m[1]}`);
      const cls = (api as Record<string, unknown>)[m[2] as string];
      assert.equal(typeof cls, 'function', `${m[2]} is exported`);
    }
  });

  it('maps system errors to one-line errors with stable codes', () => {
    const sys = (code: string): Error => Object.assign(new Error(code), { code });
    assert.equal(fromConnectError(sys('ECONNREFUSED'), 'tcp://127.0.0.1:1').message, 'connection refused by tcp://127.0.0.1:1');
    assert.equal(fromConnectError(sys('ENOTFOUND'), 'tcp://nowhere.invalid:1').code, 'ERR_NETECHO_HOST_NOT_FOUND');
    assert.equal(fromListenError(sys('EADDRINUSE'), 'tcp://127.0.0.1:5').message, 'cannot listen on tcp://127.0.0.1:5: address already in use');
    assert.equal(fromListenError(sys('EACCES'), 'tcp://0.0.0.0:7').code, 'ERR_NETECHO_PERMISSION_DENIED');
    assert.ok(fromListenError(sys('EADDRNOTAVAIL'), 'x') instanceof NetechoError);
  });
});
