// A minimal Node TLS echo server (node:tls, each chunk written back as it comes), with netecho's cipher order
// (TLS 1.3's AES-128-GCM first), so the two pay for the same cipher: what Node's TLS costs before netecho adds
// anything. Usage: node tls_node.mjs PORT CERT KEY
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const [port, cert, key] = process.argv.slice(2);
const ciphers = ['TLS_AES_128_GCM_SHA256', ...tls.DEFAULT_CIPHERS.split(':').filter((c) => c !== 'TLS_AES_128_GCM_SHA256')].join(':');
tls
  .createServer({ cert: readFileSync(cert), key: readFileSync(key), ciphers, honorCipherOrder: true }, (socket) => {
    socket.on('error', () => {});
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end());
  })
  .listen(Number(port), '127.0.0.1', () => console.log('ready'));
