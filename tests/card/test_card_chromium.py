"""The HTML model card in a real browser: headless Chromium (Debian's `chromium`).

A model is fitted on the synthetic register of tests/model_fixtures.h and its card written by
varsam_model_card_sample (VARSAM_CARD_SAMPLE). Chromium opens the page and is driven over the
DevTools protocol on a pipe (--remote-debugging-pipe; the standard library is enough): the page
must load without a console error, an exception or a failed load, run no script, and draw the
reliability diagram - the SVG's box, read from the page's layout, must hold the plotted series
in its colour, not only white. The screenshots are kept in VARSAM_CARD_OUT for people to look at.
"""

import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import unittest
import zlib

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1", "--remote-debugging-pipe",
]
# The colour of the recalibrated series in src/models/card.cc (#1f5fa8).
SERIES = (0x1F, 0x5F, 0xA8)


def page_problems(events, local_only=False):
    """What a page reported wrong, from its DevTools events: exceptions, console errors and
    assertions, error log entries, failed loads and, with local_only, any request for something
    that is not a local file."""
    problems = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            problems.append(("exception", params["exceptionDetails"].get("text")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            problems.append(("console", [a.get("value") for a in params.get("args", [])]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            problems.append(("log", params["entry"].get("text")))
        elif method == "Network.loadingFailed":
            problems.append(("load", params.get("errorText")))
        elif local_only and method == "Network.requestWillBeSent" and not params.get(
                "request", {}).get("url", "").startswith("file://"):
            problems.append(("request", params["request"].get("url")))
    return problems


def decode_png(data):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA PNG (RFC 2083)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError("only 8-bit RGB or RGBA PNGs without interlacing")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        previous = line
    return width, height, rows


class Browser:
    """Chromium with the DevTools protocol on fds 3 (commands) and 4 (replies and events)."""

    def __init__(self, profile):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds():  # in the child: our ends become fds 3 and 4, as Chromium expects
            high_r, high_w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(
            ["chromium", *CHROMIUM_FLAGS, "--user-data-dir=" + profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            close_fds=False, preexec_fn=fds)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer, self._next_id, self.events = b"", 0, []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe: " +
                                   self.process.stderr.read().decode(errors="replace")[-2000:])
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=30):
        self._next_id += 1
        request = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._to_child, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == method:
                return message

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        self.process.stderr.close()


class CardInChromium(unittest.TestCase):
    def test_card_renders_with_its_reliability_diagram(self):
        sample = os.environ.get("VARSAM_CARD_SAMPLE")
        self.assertTrue(sample, "VARSAM_CARD_SAMPLE must name varsam_model_card_sample")
        self.assertIsNotNone(shutil.which("chromium"),
                             "Debian's chromium is needed (scripts/setup installs it)")
        out = os.environ.get("VARSAM_CARD_OUT") or tempfile.mkdtemp(prefix="varsam-card-")
        os.makedirs(out, exist_ok=True)
        card = os.path.join(out, "model-card.html")
        subprocess.run([sample, card, os.path.join(out, "model.json")], check=True, timeout=300)

        with tempfile.TemporaryDirectory(prefix="varsam-chromium-") as profile:
            browser = Browser(profile)
            try:
                target = browser.call("Target.createTarget", {"url": "about:blank"})
                session = browser.call("Target.attachToTarget",
                                       {"targetId": target["targetId"], "flatten": True})["sessionId"]
                for domain in ("Page", "Runtime", "Log", "Network"):
                    browser.call(domain + ".enable", session=session)
                browser.call("Emulation.setDeviceMetricsOverride",
                             {"width": 1100, "height": 900, "deviceScaleFactor": 1,
                              "mobile": False}, session=session)
                browser.call("Page.navigate", {"url": "file://" + os.path.abspath(card)},
                             session=session)
                browser.wait_for("Page.loadEventFired")
                facts = browser.call("Runtime.evaluate", {
                    "expression": """JSON.stringify((() => {
                        const svg = document.getElementById('reliability');
                        const r = svg ? svg.getBoundingClientRect() : null;
                        return {scripts: document.scripts.length,
                                sections: document.querySelectorAll('h2').length,
                                box: r && {x: r.left + scrollX, y: r.top + scrollY,
                                           width: r.width, height: r.height},
                                circles: svg ? svg.querySelectorAll('circle').length : 0,
                                width: document.documentElement.scrollWidth,
                                height: document.documentElement.scrollHeight};
                    })())""",
                    "returnByValue": True}, session=session)["result"]["value"]
                facts = json.loads(facts)
                box = facts["box"]
                self.assertIsNotNone(box, "the page has no element with id 'reliability'")
                diagram = browser.call("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": box["x"], "y": box["y"], "width": box["width"],
                             "height": box["height"], "scale": 1}}, session=session)
                page = browser.call("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": facts["width"],
                             "height": min(facts["height"], 16000), "scale": 1}},
                    session=session)
            finally:
                browser.close()

        import base64
        diagram_png = base64.b64decode(diagram["data"])
        with open(os.path.join(out, "reliability.png"), "wb") as f:
            f.write(diagram_png)
        with open(os.path.join(out, "model-card.png"), "wb") as f:
            f.write(base64.b64decode(page["data"]))

        problems = page_problems(browser.events)
        self.assertEqual(problems, [], "the card's page reported errors")
        self.assertEqual(facts["scripts"], 0)
        self.assertEqual(facts["sections"], 9)
        self.assertEqual((round(box["width"]), round(box["height"])), (440, 420))
        self.assertGreater(facts["circles"], 2)

        width, height, rows = decode_png(diagram_png)
        self.assertEqual((width, height), (440, 420))
        drawn = sum(1 for row in rows for px in row if px != (255, 255, 255))
        series = sum(1 for row in rows for px in row
                     if all(abs(px[i] - SERIES[i]) <= 24 for i in range(3)))
        # Axes, grid, the diagonal, the bars and two series: thousands of pixels; the
        # recalibrated series alone (a 2-px line and its dots) some hundreds.
        self.assertGreater(drawn, 5000, "the reliability diagram is (almost) blank")
        self.assertGreater(series, 200, "the recalibrated series is not drawn")


if __name__ == "__main__":
    unittest.main()
