# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A TCP proxy on a loopback port to vCenter, for one watcher: cut() closes
its connections and refuses new ones (that watcher cut off from vCenter,
the others still reach it directly); restore() listens again on the same
port. TLS passes through untouched (the certificate names 127.0.0.1)."""
from __future__ import annotations

import asyncio
import socket
import threading


class Proxy(object):
    def __init__(self, host, port):
        self.target = (host, port)
        self.loop = asyncio.new_event_loop()
        self.server, self.conns = None, set()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.restore()

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        pair = (writer, up_writer)
        self.conns.add(pair)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.conns.discard(pair)

    async def _listen(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self):
        server, self.server = self.server, None
        if server is not None:
            server.close()   # no new connections
        for pair in list(self.conns):
            for writer in pair:
                writer.transport.abort()
        self.conns.clear()
        if server is not None:
            await server.wait_closed()

    def restore(self):
        """Listen (again): new connections reach vCenter."""
        self._call(self._listen())

    def cut(self):
        """Close every connection and refuse new ones."""
        self._call(self._cut())

    def close(self):
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
