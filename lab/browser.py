# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real browser on a page, as a user sees it: Debian's headless Chromium
(its DOM once the page's scripts ran, a screenshot) and tesseract to read
the screenshot's text (tools/setup.sh installs both). Standard library only."""
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

CHROMIUM = shutil.which("chromium") or "chromium"
TESSERACT = shutil.which("tesseract") or "tesseract"


def _chromium(url, *what, seconds=60):
    with tempfile.TemporaryDirectory(prefix="vigil-chromium-") as profile:
        # --no-sandbox: the lab runs as root; --virtual-time-budget: the page's scripts (its fetch) run first.
        proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--user-data-dir=" + profile, "--virtual-time-budget=4000"] + list(what) + [url],
                              capture_output=True, timeout=seconds, check=False)
    if proc.returncode != 0:
        raise RuntimeError("chromium failed on %s: %s" % (url, proc.stderr.decode("utf-8", "replace")[-2000:]))
    return proc.stdout.decode("utf-8", "replace")


def dump_dom(url):
    """The page's DOM after its scripts ran (``chromium --dump-dom``)."""
    return _chromium(url, "--dump-dom")


def screenshot(url, path, size="1000,800"):
    """A PNG of the page at ``path`` (``chromium --screenshot``)."""
    _chromium(url, "--window-size=" + size, "--screenshot=" + str(path))
    if not os.path.exists(path):
        raise RuntimeError("chromium wrote no screenshot of %s" % url)
    return path


def png_colours(path):
    """How many different byte values the PNG's pixel data holds: 1 or 2 for a blank page."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s is not a PNG" % path)
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


def read_text(path):
    """The text tesseract reads in an image."""
    proc = subprocess.run([TESSERACT, str(path), "-"], capture_output=True, timeout=120, check=True)
    return proc.stdout.decode("utf-8", "replace")
