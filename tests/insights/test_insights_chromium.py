"""An insight table's page in a real browser: headless Chromium (Debian's `chromium`).

varsam_insights_table_sample (VARSAM_INSIGHTS_SAMPLE) writes the page of a hand-built protected
table (episodes by intervention and age band with margins; with "mean", a mean by intervention).
Chromium opens it at the size of an A4 sheet at 150 dpi (1240 x 1754), driven over the DevTools
protocol on a pipe with the helpers of the model card's test (tests/card/test_card_chromium.py):
the page must load without a console error, an exception, a failed load or any request that is
not the file itself, run no script, draw a bar for every published cell of the first dimension
with heights proportional to the values, and a hatched placeholder labelled ".." for every
protected one; the screenshot of the chart must hold the bars' navy and the placeholder's grey,
not only white. Printed, the page is one A4 sheet. The screenshots and the PDF are kept in
VARSAM_INSIGHTS_OUT for people to look at.
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
# The colours of src/insights/html.cc: the bars, and the placeholder's hatching and outline.
NAVY, HATCH, OUTLINE = (0x1D, 0x35, 0x57), (0x8A, 0x8A, 0x8A), (0x59, 0x59, 0x59)
# The samples (tests/insights_table_sample.cc): bars, placeholders, zero cells in the chart,
# rows of the table's body and protected cells in it.
COUNT_SAMPLE = {"bars": 5, "placeholders": 0, "rows": 6, "protected": 2, "zero": 1}
MEAN_SAMPLE = {"bars": 3, "placeholders": 2, "rows": 5, "protected": 2, "zero": 0}

FACTS = """JSON.stringify((() => {
    const box = (e) => {
        if (!e) return null;
        const r = e.getBoundingClientRect();
        return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};
    };
    const count = (selector) => document.querySelectorAll(selector).length;
    const bars = [...document.querySelectorAll('#bars rect.bar')].map(
        (e) => ({value: parseFloat(e.dataset.value), level: e.dataset.level, box: box(e)}));
    return {scripts: count('script'), lang: document.documentElement.lang,
            title: document.title, h1: document.querySelector('h1').textContent,
            chart: box(document.getElementById('bars')), bars: bars,
            placeholders: count('#bars rect.bar-protected'),
            markers: [...document.querySelectorAll('#bars text.marker')].map((e) => e.textContent),
            rows: count('table.data tbody tr'), protected: count('table.data td.protected'),
            zero: count('table.data td.zero'),
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


class InsightTableInChromium(unittest.TestCase):
    def render(self, html, stem):
        """Opens the page; returns (facts, problems, chart PNG, PDF) and writes STEM.png,
        STEM-chart.png, STEM-print.png and STEM.pdf beside it."""
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
                if facts["chart"]:
                    box = facts["chart"]
                    shots["chart"] = browser.call("Page.captureScreenshot", {
                        "format": "png", "captureBeyondViewport": True,
                        "clip": {"x": box["x"], "y": box["y"], "width": box["width"],
                                 "height": box["height"], "scale": 1}}, session=session)
                shots["page"] = browser.call("Page.captureScreenshot", {
                    "format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": WIDTH,
                             "height": max(HEIGHT, min(facts["height"], 16000)), "scale": 1}},
                    session=session)
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
        chart_png = None
        if "chart" in shots:
            chart_png = base64.b64decode(shots["chart"]["data"])
            with open(os.path.join(out, stem + "-chart.png"), "wb") as f:
                f.write(chart_png)
        pdf_bytes = base64.b64decode(pdf["data"])
        with open(os.path.join(out, stem + ".pdf"), "wb") as f:
            f.write(pdf_bytes)
        return facts, card.page_problems(browser.events, local_only=True), chart_png, pdf_bytes

    def check_page(self, stem, sample_args, expect):
        sample = os.environ.get("VARSAM_INSIGHTS_SAMPLE")
        self.assertTrue(sample, "VARSAM_INSIGHTS_SAMPLE must name varsam_insights_table_sample")
        self.assertIsNotNone(shutil.which("chromium"),
                             "Debian's chromium is needed (scripts/setup installs it)")
        out = os.environ.get("VARSAM_INSIGHTS_OUT") or tempfile.mkdtemp(prefix="varsam-insights-")
        os.makedirs(out, exist_ok=True)
        html = os.path.join(out, stem + ".html")
        subprocess.run([sample, html] + sample_args, check=True, timeout=120)

        facts, problems, chart_png, pdf = self.render(html, stem)
        self.assertEqual(problems, [], "the table's page reported errors")
        self.assertEqual(facts["scripts"], 0)
        self.assertEqual(facts["lang"], "sv")
        self.assertEqual(facts["title"], facts["h1"])
        self.assertIsNotNone(facts["chart"], "the page has no <svg id='bars'>")
        self.assertEqual(len(facts["bars"]), expect["bars"])
        self.assertEqual(facts["placeholders"], expect["placeholders"])
        self.assertEqual(facts["markers"], [".."] * expect["placeholders"])
        self.assertEqual(facts["rows"], expect["rows"])
        self.assertEqual(facts["protected"], expect["protected"])
        self.assertEqual(facts["zero"], expect["zero"])

        # As drawn: each bar's height in CSS pixels over its value is the same for every bar.
        ratios = [abs(b["box"]["height"] / b["value"]) for b in facts["bars"] if b["value"]]
        self.assertTrue(ratios)
        for ratio in ratios:
            self.assertAlmostEqual(ratio, ratios[0], delta=0.02 * ratios[0] + 0.05)

        # The page fits an A4-sized window without horizontal scrolling; the chart is wide and
        # on the first screen.
        self.assertLessEqual(facts["width"], WIDTH)
        self.assertGreater(facts["chart"]["width"], 500)
        self.assertLess(facts["chart"]["y"] + facts["chart"]["height"], HEIGHT)
        printed = facts["printed"]
        self.assertLessEqual(printed["width"], PRINT_WIDTH)
        self.assertLessEqual(printed["chart"]["x"] + printed["chart"]["width"], PRINT_WIDTH)

        width, height, rows = card.decode_png(chart_png)
        drawn = sum(1 for row in rows for px in row if px != (255, 255, 255))
        count = lambda colour, tolerance=24: sum(
            1 for row in rows for px in row if near(px, colour, tolerance))
        self.assertGreater(drawn, 0.04 * width * height, "the chart is (almost) blank")
        # Every bar is at least some pixels tall and tens wide: thousands of navy pixels.
        self.assertGreater(count(NAVY), 1000 * expect["bars"], "the bars are not drawn")
        if expect["placeholders"]:
            self.assertGreater(count(HATCH, 30) + count(OUTLINE, 20), 1000,
                               "the protected placeholders are not drawn")

        pages, (page_width, page_height) = pdf_pages(pdf)
        self.assertEqual(pages, 1, "the sample table does not print on one A4 page")
        self.assertAlmostEqual(page_width, 595.3, delta=1.5)
        self.assertAlmostEqual(page_height, 841.9, delta=1.5)

    def test_count_table_renders_with_margins_and_protected_cells(self):
        self.check_page("insight-table", [], COUNT_SAMPLE)

    def test_mean_table_renders_protected_bars_as_placeholders(self):
        self.check_page("insight-table-mean", ["mean"], MEAN_SAMPLE)


if __name__ == "__main__":
    unittest.main()
