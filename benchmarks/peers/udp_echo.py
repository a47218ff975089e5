# A Python asyncio UDP echo server (DatagramProtocol): each datagram sent back to its sender. Usage: udp_echo.py PORT
import asyncio
import sys


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main(port):
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", port))
    await asyncio.Event().wait()


asyncio.run(main(int(sys.argv[1])))
