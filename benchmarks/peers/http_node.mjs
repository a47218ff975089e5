// A minimal Node reflection: node:http and nothing else, the same JSON shape as the Go peer (http_reflect.go), no
// limits, no logging: what Node's HTTP stack costs before netecho adds anything. Usage: node http_node.mjs PORT
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { URL } from 'node:url';

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const utf8 = Buffer.byteLength(text) === body.length && !text.includes('\ufffd');
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = JSON.stringify({
        method: req.method,
        url: req.url,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        httpVersion: req.httpVersion,
        headers: req.headers,
        bodyBytes: body.length,
        client: `${req.socket.remoteAddress}:${req.socket.remotePort}`,
        body: utf8 ? text : body.toString('base64'),
        bodyEncoding: utf8 ? 'utf8' : 'base64',
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(reply) });
      res.end(reply);
    });
  })
  .listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
