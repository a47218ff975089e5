// A Node reflection service in the style of mendhak/http-https-echo: express, a body parser for any type, and the
// request echoed back as JSON. Usage: node express_reflect.mjs PORT
import os from 'node:os';
import express from 'express';

const app = express();
app.set('json spaces', 2);
app.use(express.text({ type: () => true, limit: '1mb' }));
app.all('/{*any}', (req, res) => {
  res.json({
    path: req.path,
    headers: req.headers,
    method: req.method,
    body: req.body,
    cookies: req.cookies,
    fresh: req.fresh,
    hostname: req.hostname,
    ip: req.ip,
    ips: req.ips,
    protocol: req.protocol,
    query: req.query,
    subdomains: req.subdomains,
    xhr: req.xhr,
    os: { hostname: os.hostname() },
    connection: { servername: req.socket.servername },
  });
});
app.listen(Number(process.argv[2]), '127.0.0.1');
