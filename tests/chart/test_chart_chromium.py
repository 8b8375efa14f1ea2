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


class ChartInChromium(unittest.TestCase):
    def render(self, html, stem):
        return a4_page.render(html, stem, FACTS, "scores")

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
