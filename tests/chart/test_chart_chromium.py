"""The client chart in a real browser: headless Chromium (Debian's `chromium`).

varsam_client_chart_sample (VARSAM_CHART_SAMPLE) writes the chart of a synthetic ORS series,
in Swedish and in English. Chromium opens each page at the size of an A4 sheet at 150 dpi
(1240 x 1754) and is driven over the DevTools protocol on a pipe, with the helpers of the model
card's test (tests/card/test_card_chromium.py): the page must load without a console error, an
exception or a failed load, run no script, draw both panels with every point, and the scores
panel must show the client's line, the green expected curve and the red boundary in their
colours, not only white. Printed, the page is A4. The screenshots and the PDF are kept in
VARSAM_CHART_OUT for people to look at.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "card"))
import test_card_chromium as card  # noqa: E402  (Browser, decode_png, page_problems; not its test case)

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
# A4 at 96 dpi (CSS pixels) inside the page's 12 mm margins: 186 x 273 mm.
PRINT_WIDTH, PRINT_HEIGHT = 703, 1032
if "--window-size=%d,%d" % (WIDTH, HEIGHT) not in card.CHROMIUM_FLAGS:
    card.CHROMIUM_FLAGS.append("--window-size=%d,%d" % (WIDTH, HEIGHT))
# The colours of src/outcomes/chart.cc: the client's line, on target / the expected curve,
# below the boundary / the boundary, and the ring of below target.
NAVY, GREEN = (0x1D, 0x35, 0x57), (0x1A, 0x7F, 0x37)
RED, AMBER = (0xC6, 0x28, 0x28), (0xB3, 0x5C, 0x00)
# The samples' series (tests/client_chart_sample.cc): points in the scores panel and in the
# alliance panel, open suggestions.
ORS_SAMPLE = {"scores": 8, "alliance": 8, "suggestions": 2, "higher_is_better": True}
PHQ9_SAMPLE = {"scores": 6, "alliance": 0, "suggestions": 1, "higher_is_better": False}

FACTS = """JSON.stringify((() => {
    const box = (id) => {
        const e = document.getElementById(id);
        if (!e) return null;
        const r = e.getBoundingClientRect();
        return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};
    };
    const count = (selector) => document.querySelectorAll(selector).length;
    return {scripts: count('script'), lang: document.documentElement.lang,
            scores: box('scores'), alliance: box('alliance'),
            scores_points: count('#scores circle.point'),
            alliance_points: count('#alliance circle.point'),
            below_boundary: count('#scores circle.point[data-track="below_boundary"]'),
            suggestions: count('ul.suggestions li'), rows: count('table.data tbody tr'),
            width: document.documentElement.scrollWidth,
            height: document.documentElement.scrollHeight};
})())"""


def near(px, colour, tolerance=24):
    return all(abs(px[i] - colour[i]) <= tolerance for i in range(3))


def pdf_pages(pdf):
    """(page count, (width, height) in points of the first MediaBox) of a PDF from Chromium."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", pdf)
    size = (float(box.group(3)) - float(box.group(1)), float(box.group(4)) - float(box.group(2)))
    return pages, size


class ChartInChromium(unittest.TestCase):
    def render(self, html, stem):
        """Opens the page; returns (facts, event problems) and writes STEM.png, STEM-scores.png
        and STEM.pdf beside it."""
        out = os.path.dirname(html)
        with tempfile.TemporaryDirectory(prefix="varsam-chromium-") as profile:
            browser = card.Browser(profile)
            try:
                target = browser.call("Target.createTarget", {"url": "about:blank"})
                session = browser.call("Target.attachToTarget",
                                       {"targetId": target["targetId"], "flatten": True})["sessionId"]
                for domain in ("Page", "Runtime", "Log", "Network"):
                    browser.call(domain + ".enable", session=session)
                browser.call("Emulation.setDeviceMetricsOverride",
                             {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1,
                              "mobile": False}, session=session)
                browser.call("Page.navigate", {"url": "file://" + os.path.abspath(html)},
                             session=session)
                browser.wait_for("Page.loadEventFired")
                facts = json.loads(browser.call("Runtime.evaluate", {
                    "expression": FACTS, "returnByValue": True},
                    session=session)["result"]["value"])
                shots = {}
                if facts["scores"]:
                    box = facts["scores"]
                    shots["scores"] = browser.call("Page.captureScreenshot", {
                        "format": "png", "captureBeyondViewport": True,
                        "clip": {"x": box["x"], "y": box["y"], "width": box["width"],
                                 "height": box["height"], "scale": 1}}, session=session)
                shots["page"] = browser.call("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": WIDTH,
                             "height": max(HEIGHT, min(facts["height"], 16000)), "scale": 1}},
                    session=session)
                # As printed: print media, the width of an A4 sheet inside its 12 mm margins.
                browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
                browser.call("Emulation.setDeviceMetricsOverride",
                             {"width": PRINT_WIDTH, "height": PRINT_HEIGHT,
                              "deviceScaleFactor": 2, "mobile": False}, session=session)
                printed = json.loads(browser.call("Runtime.evaluate", {
                    "expression": FACTS, "returnByValue": True},
                    session=session)["result"]["value"])
                facts["printed"] = printed
                shots["print"] = browser.call("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": PRINT_WIDTH,
                             "height": max(PRINT_HEIGHT, min(printed["height"], 8000)),
                             "scale": 1}}, session=session)
                pdf = browser.call("Page.printToPDF", {
                    "preferCSSPageSize": True, "printBackground": True}, session=session,
                    timeout=60)
            finally:
                browser.close()

        with open(os.path.join(out, stem + ".png"), "wb") as f:
            f.write(base64.b64decode(shots["page"]["data"]))
        with open(os.path.join(out, stem + "-print.png"), "wb") as f:
            f.write(base64.b64decode(shots["print"]["data"]))
        scores_png = None
        if "scores" in shots:
            scores_png = base64.b64decode(shots["scores"]["data"])
            with open(os.path.join(out, stem + "-scores.png"), "wb") as f:
                f.write(scores_png)
        pdf_bytes = base64.b64decode(pdf["data"])
        with open(os.path.join(out, stem + ".pdf"), "wb") as f:
            f.write(pdf_bytes)

        problems = card.page_problems(browser.events, local_only=True)
        return facts, problems, scores_png, pdf_bytes

    def check_chart(self, language, stem, sample_args, expect):
        sample = os.environ.get("VARSAM_CHART_SAMPLE")
        self.assertTrue(sample, "VARSAM_CHART_SAMPLE must name varsam_client_chart_sample")
        self.assertIsNotNone(shutil.which("chromium"),
                             "Debian's chromium is needed (scripts/setup installs it)")
        out = os.environ.get("VARSAM_CHART_OUT") or tempfile.mkdtemp(prefix="varsam-chart-")
        os.makedirs(out, exist_ok=True)
        html = os.path.join(out, stem + ".html")
        subprocess.run([sample, html] + sample_args, check=True, timeout=120)

        facts, problems, scores_png, pdf = self.render(html, stem)
        self.assertEqual(problems, [], "the chart's page reported errors")
        self.assertEqual(facts["scripts"], 0)
        self.assertEqual(facts["lang"], language)
        self.assertIsNotNone(facts["scores"], "the page has no <svg id='scores'>")
        self.assertEqual(facts["alliance"] is not None, expect["alliance"] > 0)
        self.assertEqual(facts["scores_points"], expect["scores"])
        self.assertEqual(facts["alliance_points"], expect["alliance"])
        self.assertEqual(facts["below_boundary"], 1)
        self.assertEqual(facts["suggestions"], expect["suggestions"])
        self.assertEqual(facts["rows"], expect["scores"])
        # The chart fits the page's width: no horizontal scrolling on an A4-sized window.
        self.assertLessEqual(facts["width"], WIDTH)
        self.assertGreater(facts["scores"]["width"], 500)
        self.assertLess(facts["scores"]["y"] + facts["scores"]["height"], HEIGHT,
                        "the scores panel does not fit the first screen")
        # Printed, both panels fit the sheet's width and the scores panel its first page.
        printed = facts["printed"]
        self.assertLessEqual(printed["width"], PRINT_WIDTH)
        self.assertLessEqual(printed["scores"]["x"] + printed["scores"]["width"], PRINT_WIDTH)
        if expect["alliance"]:
            self.assertLessEqual(printed["alliance"]["x"] + printed["alliance"]["width"],
                                 PRINT_WIDTH)
        self.assertLess(printed["scores"]["y"] + printed["scores"]["height"], PRINT_HEIGHT)

        width, height, rows = card.decode_png(scores_png)
        drawn = sum(1 for row in rows for px in row if px != (255, 255, 255))
        count = lambda colour: sum(1 for row in rows for px in row if near(px, colour))
        # Axes, grid, band, three lines and eight points: many thousands of pixels; each line
        # (2 px wide over hundreds of px) some hundreds in its colour.
        self.assertGreater(drawn, 0.05 * width * height, "the scores panel is (almost) blank")
        self.assertGreater(count(NAVY), 300, "the client's line is not drawn")
        self.assertGreater(count(GREEN), 300, "the expected curve is not drawn")
        self.assertGreater(count(RED), 300, "the boundary is not drawn")
        self.assertGreater(count(AMBER), 30, "no point below target is drawn")

        # Near the right end of the plot, where only the curve and its boundary run: the red
        # boundary lies below the green curve when higher is better, above it when lower is.
        column = int(width * 0.8)
        def mean_y(colour):
            ys = [y for y in range(height) for x in range(column - 10, column + 11)
                  if near(rows[y][x], colour, 40)]
            self.assertTrue(ys, "no line of colour %s at x = %d" % (colour, column))
            return sum(ys) / len(ys)
        if expect["higher_is_better"]:
            self.assertGreater(mean_y(RED), mean_y(GREEN), "the boundary is not below the curve")
        else:
            self.assertLess(mean_y(RED), mean_y(GREEN), "the boundary is not above the curve")

        pages, (page_width, page_height) = pdf_pages(pdf)
        self.assertEqual(pages, 1, "the sample chart does not print on one A4 page")
        # A4 is 210 x 297 mm: 595.3 x 841.9 pt (Chromium rounds to whole CSS pixels).
        self.assertAlmostEqual(page_width, 595.3, delta=1.5)
        self.assertAlmostEqual(page_height, 841.9, delta=1.5)

    def test_chart_renders_in_swedish(self):
        self.check_chart("sv", "client-chart", [], ORS_SAMPLE)

    def test_chart_renders_in_english(self):
        self.check_chart("en", "client-chart-en", ["en"], ORS_SAMPLE)

    def test_lower_is_better_chart_renders_with_the_boundary_above(self):
        self.check_chart("sv", "client-chart-phq9", ["phq9"], PHQ9_SAMPLE)


if __name__ == "__main__":
    unittest.main()
