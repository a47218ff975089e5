# A WebSocket chat client in Python (the websockets library): joins URL, sends MESSAGE once it has seen
# WAIT_FOR messages (0: at once), prints each message it gets (one per line), and exits after EXPECT of them.
# Usage: python3 ws_client.py URL MESSAGE EXPECT [WAIT_FOR]
import asyncio
import sys

import websockets


async def main(url, message, expect, wait_for):
    async with websockets.connect(url) as ws:
        print('connected', flush=True)
        got = 0
        if wait_for == 0:
            await ws.send(message)
        while got < expect:
            data = await asyncio.wait_for(ws.recv(), timeout=10)
            got += 1
            print(data if isinstance(data, str) else data.decode('utf-8', 'replace'), flush=True)
            if got == wait_for:
                await ws.send(message)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0))
