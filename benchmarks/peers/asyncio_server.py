# Python asyncio Protocol echo server (and the same on uvloop with --uvloop). Port from argv[1].
import asyncio, sys

class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info('socket')
        if sock is not None:
            import socket
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.transport.write(data)

    def eof_received(self):
        return False  # close after the half-close, once the echo is written

async def main(port):
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, '127.0.0.1', port, backlog=4096)
    print('ready', flush=True)
    async with server:
        await server.serve_forever()

if __name__ == '__main__':
    if '--uvloop' in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run(main(int(sys.argv[1])))
