// A minimal Node TLS echo server (node:tls, socket.pipe(socket)): what Node's TLS costs before netecho adds
// anything. Usage: node tls_node.mjs PORT CERT KEY
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const [port, cert, key] = process.argv.slice(2);
tls
  .createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  })
  .listen(Number(port), '127.0.0.1', () => console.log('ready'));
