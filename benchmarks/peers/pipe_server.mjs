// The plainest Node echo server: what Node gives for free. Port from argv[2].
import net from 'node:net';
net.createServer((s) => s.pipe(s)).listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
