# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An event source for the watcher scenario: one event per interval."""
import asyncio


async def main(queue, args):
    tick = 0
    while True:
        await queue.put({"tick": tick})
        tick += 1
        await asyncio.sleep(float(args.get("interval", 1)))
