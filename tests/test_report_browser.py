"""The report of the seeds in a real browser: headless Chromium over the DevTools protocol.

Chromium is Debian's `chromium` package (`.ci/run` installs it); without it the tests are
skipped. The protocol client is the standard library's sockets: a WebSocket handshake and
frames, no new dependency. Set RENOVML_SCREENSHOTS=DIR to keep full-size screenshots.
"""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import urllib.parse
import zlib
from pathlib import Path

import pytest
from conftest import SEED_DIR

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on the PATH (Debian: apt-get install -y chromium; "
                             ".ci/run installs it)")

OKABE_ITO = {"funding": (0xE6, 0x9F, 0x00), "governance": (0x00, 0x72, 0xB2),
             "infrastructure": (0x00, 0x9E, 0x73), "management": (0xCC, 0x79, 0xA7)}


class DevTools:
    """A minimal DevTools protocol client: one WebSocket, commands and their events."""

    def __init__(self, url: str):
        parts = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
                          f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                          f"{key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        self.buffer = bytearray()
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.buffer = bytearray(rest)
        self.last_id = 0
        self.events: list[dict] = []

    def _recv(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the browser closed the DevTools connection")
        return chunk

    def _take(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self._recv()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def _send(self, payload: bytes, opcode: int = 1) -> None:
        n = len(payload)
        length = (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
                  if n < 1 << 16 else bytes([0x80 | 127]) + struct.pack(">Q", n))
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode]) + length + mask + masked)

    def _message(self) -> dict:
        parts = []
        while True:
            first, second = self._take(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._take(8))[0]
            data = self._take(n)
            opcode = first & 0x0F
            if opcode == 9:  # ping
                self._send(data, 10)
                continue
            if opcode == 8:
                raise ConnectionError("the browser closed the DevTools connection")
            parts.append(data)
            if first & 0x80:
                return json.loads(b"".join(parts))

    def call(self, method: str, session: str | None = None, **params) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._send(json.dumps(message).encode())
        while True:
            reply = self._message()
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        seen = next((e for e in self.events if e.get("method") == method), None)
        deadline = time.monotonic() + timeout
        while seen is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            event = self._message()
            self.events.append(event)
            if event.get("method") == method:
                seen = event
        return seen


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGB pixels of an 8-bit RGB/RGBA PNG (as Chromium writes them)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = previous[i - channels] if i >= channels else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                      else corner)) & 0xFF
        pixels.extend(tuple(line[i:i + 3]) for i in range(0, stride, channels))
        previous = line
    return width, height, pixels


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from renovml.cli import main
    from renovml.report import render

    out = tmp_path_factory.mktemp("browser")
    tagged, summary = out / "tagged.jsonl", out / "summary.csv"
    seeds = sorted(SEED_DIR.glob("*.txt"))
    assert main(["predict", *map(str, seeds), "-o", str(tagged), "--summary", str(summary),
                 "--explain", "3", "-q", "-j", "1"]) == 0
    page = out / "report.html"
    page.write_text(render(tagged, summary=summary, metadata=SEED_DIR / "corpus" / "seeds.jsonl",
                           title="renovml report: the five seed articles"), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            if "DevTools listening on " in line:
                url = line.split("DevTools listening on ", 1)[1].strip()
        if url is None:
            pytest.skip(f"{CHROMIUM} did not start a DevTools endpoint (exit {process.poll()})")
        tools = DevTools(url)
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.call(f"{domain}.enable", session)
        tools.call("Emulation.setDeviceMetricsOverride", session, width=1280, height=1000,
                   deviceScaleFactor=1, mobile=False)
        yield tools, session
    finally:
        process.terminate()
        process.wait(timeout=30)


def _evaluate(tools, session, expression):
    result = tools.call("Runtime.evaluate", session, expression=expression, returnByValue=True)
    assert "exceptionDetails" not in result, result
    return result["result"]["value"]


def _screenshot(tools, session, name):
    """A half-scale screenshot's pixels; full size into RENOVML_SCREENSHOTS if set."""
    keep = os.environ.get("RENOVML_SCREENSHOTS")
    if keep:
        full = tools.call("Page.captureScreenshot", session, format="png",
                          captureBeyondViewport=False)["data"]
        Path(keep, name).write_bytes(base64.b64decode(full))
    clip = {"x": 0, "y": 0, "width": 1280, "height": 1000, "scale": 0.5}
    data = tools.call("Page.captureScreenshot", session, format="png", clip=clip)["data"]
    return png_pixels(base64.b64decode(data))


def _problems(tools):
    """Console errors, uncaught exceptions, error log entries and failed requests."""
    problems = []
    for event in tools.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append(("console", params.get("args")))
        elif method == "Runtime.exceptionThrown":
            problems.append(("exception", params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            problems.append(("log", params["entry"].get("text"), params["entry"].get("url")))
        elif method == "Network.loadingFailed":
            problems.append(("request failed", params.get("errorText")))
    return problems


def _not_blank(pixels):
    grey = [(r * 299 + g * 587 + b * 114) // 1000 for r, g, b in pixels]
    mean = sum(grey) / len(grey)
    variance = sum((v - mean) ** 2 for v in grey) / len(grey)
    dark = sum(v < 200 for v in grey) / len(grey)
    return variance, dark


def _near(pixels, colour, tolerance=24):
    return sum(all(abs(a - b) <= tolerance for a, b in zip(p, colour)) for p in pixels)


def test_home_view_loads_clean_and_shows_the_corpus(browser, report):
    tools, session = browser
    tools.call("Page.navigate", session, url=report.as_uri())
    tools.wait_for("Page.loadEventFired")
    state = _evaluate(tools, session, """({
        views: document.querySelectorAll('article.view').length,
        shown: [...document.querySelectorAll('article.view')]
               .filter(a => getComputedStyle(a).display !== 'none').length,
        charts: [...document.querySelectorAll('svg.chart')]
                .filter(s => s.getBoundingClientRect().width > 300).length,
        corpus: getComputedStyle(document.getElementById('corpus')).display,
        rows: document.querySelectorAll('#index tr').length,
        scripts: document.scripts.length})""")
    assert state == {"views": 5, "shown": 0, "charts": state["charts"], "corpus": "block",
                     "rows": 6, "scripts": 0}
    assert state["charts"] >= 4  # all articles, then by province, city, year, ...
    width, height, pixels = _screenshot(tools, session, "report-corpus.png")
    assert (width, height) == (640, 500)
    variance, dark = _not_blank(pixels)
    assert variance > 100 and dark > 0.01
    assert all(_near(pixels, colour) > 10 for colour in OKABE_ITO.values())
    requested = {e["params"]["request"]["url"] for e in tools.events
                 if e.get("method") == "Network.requestWillBeSent"}
    assert requested == {report.as_uri()}, "the page fetched something besides itself"
    assert _problems(tools) == []


def test_article_view_opens_at_its_anchor(browser, report):
    tools, session = browser
    tools.events.clear()
    tools.call("Page.navigate", session, url=report.as_uri() + "#a4")
    deadline = time.monotonic() + 30
    while _evaluate(tools, session, "document.readyState") != "complete":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    state = _evaluate(tools, session, """({
        a4: getComputedStyle(document.getElementById('a4')).display,
        a3: getComputedStyle(document.getElementById('a3')).display,
        corpus: getComputedStyle(document.getElementById('corpus')).display,
        sections: document.querySelectorAll('#a4 .sec:not(.hd)').length,
        underlined: document.querySelectorAll('#a4 u').length,
        top: Math.round(document.getElementById('a4').getBoundingClientRect().top)})""")
    assert state["a4"] == "block" and state["a3"] == "none" and state["corpus"] == "none"
    assert state["sections"] == 8 and state["underlined"] > 0
    _evaluate(tools, session, "window.scrollTo(0, 0)")
    _, _, pixels = _screenshot(tools, session, "report-article.png")
    variance, dark = _not_blank(pixels)
    assert variance > 100 and dark > 0.02
    # shaded sections and their theme chips: each theme's colour is on screen
    assert all(_near(pixels, colour) > 10 for colour in OKABE_ITO.values())
    assert _problems(tools) == []
