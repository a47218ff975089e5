# Behaves as the tutorial's asyncio client: sends a message, reads up to 100 bytes, prints Send: / Received:.
# Usage: python3 tutorial_client.py PORT [MESSAGE]
import asyncio
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 65432
message = sys.argv[2] if len(sys.argv) > 2 else 'Hello, World!'


async def tcp_echo_client(message):
    reader, writer = await asyncio.open_connection('localhost', port)
    print(f'Send: {message}')
    writer.write(message.encode())
    await writer.drain()
    data = await reader.read(100)
    print(f'Received: {data.decode()}')
    writer.close()
    await writer.wait_closed()


asyncio.run(tcp_echo_client(message))
