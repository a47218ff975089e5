import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatEndpoint, parseEndpoint } from '../src/endpoint.js';

describe('parseEndpoint', () => {
  it('parses host and port, with the default port per scheme', () => {
    assert.deepEqual(parseEndpoint('tcp://127.0.0.1:65432'), { scheme: 'tcp', host: '127.0.0.1', port: 65432, path: '' });
    assert.deepEqual(parseEndpoint('tcp://localhost'), { scheme: 'tcp', host: 'localhost', port: 65432, path: '' });
    assert.equal(parseEndpoint('tls://h').port, 65433);
    assert.equal(parseEndpoint('udp://h').port, 65432);
    assert.equal(parseEndpoint('ws://h').port, 8080);
    assert.equal(parseEndpoint('https://h').port, 8443);
    assert.equal(parseEndpoint('TCP://h:1').scheme, 'tcp');
  });
  it('takes IPv6 in brackets', () => {
    assert.deepEqual(parseEndpoint('tcp://[::1]:7000'), { scheme: 'tcp', host: '::1', port: 7000, path: '' });
    assert.equal(formatEndpoint(parseEndpoint('tcp://[::1]:7000')), 'tcp://[::1]:7000');
  });
  it('keeps the path for web schemes', () => {
    assert.equal(parseEndpoint('ws://h:1/chat?room=a').path, '/chat?room=a');
    assert.equal(parseEndpoint('http://h:1').path, '/');
  });
  it('names what is wrong, quoting the text typed', () => {
    const cases: Array<[string, string]> = [
      ['localhost:65432', 'invalid URL "localhost:65432": missing scheme (for example tcp://localhost:65432)'],
      ['ftp://h:21', 'invalid URL "ftp://h:21": unknown scheme "ftp" (use tcp, tls, udp, ws, wss, http, https)'],
      ['tcp://h:70000', 'invalid URL "tcp://h:70000": port "70000" is not a number from 0 to 65535'],
      ['tcp://h:abc', 'invalid URL "tcp://h:abc": port "abc" is not a number from 0 to 65535'],
      ['tcp://:80', 'invalid URL "tcp://:80": missing host'],
      ['tcp://[zz]:80', 'invalid URL "tcp://[zz]:80": "zz" in brackets is not an IPv6 address'],
      ['tcp://300.1.1.1:80', 'invalid URL "tcp://300.1.1.1:80": "300.1.1.1" is not a valid IPv4 address'],
      ['tcp://h:80/path', 'invalid URL "tcp://h:80/path": tcp:// takes no path or query'],
      ['tcp://bad host:80', 'invalid URL "tcp://bad host:80": "bad host" is not a valid host name or IPv4 address'],
      ['', 'invalid URL "": expected scheme://host:port, for example tcp://127.0.0.1:65432'],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseEndpoint(text), { code: 'ERR_NETECHO_INVALID_URL', message }, text);
    }
  });
  it('refuses port 0 for connecting only', () => {
    assert.equal(parseEndpoint('tcp://h:0').port, 0);
    assert.throws(() => parseEndpoint('tcp://h:0', { allowPortZero: false }), {
      message: 'invalid URL "tcp://h:0": port 0 cannot be connected to (use 1 to 65535)',
    });
  });
  it('format(parse(url)) round-trips for any host and port', () => {
    const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain());
    fc.assert(
      fc.property(fc.constantFrom('tcp', 'tls', 'udp'), host, fc.integer({ min: 0, max: 65535 }), (scheme, h, port) => {
        const text = `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`;
        const e = parseEndpoint(text);
        assert.equal(e.port, port);
        assert.deepEqual(parseEndpoint(formatEndpoint(e)), e);
      }),
      { numRuns: 300 },
    );
  });
});
