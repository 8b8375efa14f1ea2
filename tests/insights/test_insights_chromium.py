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

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "card"))
import a4_page  # noqa: E402  (render, near, pdf_pages)
import test_card_chromium as card  # noqa: E402  (decode_png; not its test case)
from a4_page import HEIGHT, PRINT_HEIGHT, PRINT_WIDTH, WIDTH, near, pdf_pages  # noqa: E402

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


class InsightTableInChromium(unittest.TestCase):
    def render(self, html, stem):
        return a4_page.render(html, stem, FACTS, "chart")

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
