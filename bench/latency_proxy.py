"""A tiny TCP proxy that delays every chunk, to put a database "one network hop" away.

    python bench/latency_proxy.py --listen 6543 --target 127.0.0.1:5432 --delay-ms 0.5

Each chunk is forwarded ``delay`` later in each direction (so a round trip costs about twice
that), in order, without holding back the chunks behind it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Read chunks as they come; a second task writes each one ``delay`` after it was read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, data))
    except ConnectionError:
        pass
    finally:
        queue.put_nowait((0.0, b""))
        with contextlib.suppress(Exception):
            await sender
        with contextlib.suppress(Exception):
            writer.close()


async def serve(listen: int, host: str, port: int, delay: float) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, port)
        await asyncio.gather(pipe(client_r, server_w, delay), pipe(server_r, client_w, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print(f"proxy 127.0.0.1:{listen} -> {host}:{port}, {delay * 1000:.2f} ms each way", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", default="127.0.0.1:5432")
    parser.add_argument("--delay-ms", type=float, default=0.5)
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.listen, host, int(port), args.delay_ms / 1000))


if __name__ == "__main__":
    main()
