"""A page at A4 in headless Chromium, as the chart and table tests look at it.

render() opens a local HTML page at the size of an A4 sheet at 150 dpi (1240 x 1754), driven
over the DevTools protocol with the model card test's helpers (test_card_chromium: Browser,
page_problems), evaluates the test's FACTS script, screenshots one element (by the FACTS key
that holds its box), the page and the page as printed (print media, the width of an A4 sheet
inside 12 mm margins), prints a PDF, and writes STEM.png, STEM-<element>.png, STEM-print.png and
STEM.pdf beside the page for people to look at.
"""

import base64
import json
import os
import re
import tempfile

import test_card_chromium as card

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
# A4 at 96 dpi (CSS pixels) inside the page's 12 mm margins: 186 x 273 mm.
PRINT_WIDTH, PRINT_HEIGHT = 703, 1032
if "--window-size=%d,%d" % (WIDTH, HEIGHT) not in card.CHROMIUM_FLAGS:
    card.CHROMIUM_FLAGS.append("--window-size=%d,%d" % (WIDTH, HEIGHT))


def near(px, colour, tolerance=24):
    return all(abs(px[i] - colour[i]) <= tolerance for i in range(3))


def pdf_pages(pdf):
    """(page count, (width, height) in points of the first MediaBox) of a PDF from Chromium."""
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", pdf)
    size = (float(box.group(3)) - float(box.group(1)), float(box.group(4)) - float(box.group(2)))
    return pages, size


def _capture(browser, session, clip):
    return browser.call("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "clip": dict(clip, scale=1)},
        session=session)


def render(html, stem, facts_script, element):
    """(facts, problems, element PNG or None, PDF bytes); facts["printed"] holds the facts as
    printed."""
    out = os.path.dirname(html)
    evaluate = {"expression": facts_script, "returnByValue": True}
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
            facts = json.loads(browser.call("Runtime.evaluate", evaluate,
                                            session=session)["result"]["value"])
            shots = {}
            if facts[element]:
                box = facts[element]
                shots[element] = _capture(browser, session, {
                    "x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]})
            shots["page"] = _capture(browser, session, {
                "x": 0, "y": 0, "width": WIDTH, "height": max(HEIGHT, min(facts["height"], 16000))})
            # As printed: print media, the width of an A4 sheet inside its 12 mm margins.
            browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
            browser.call("Emulation.setDeviceMetricsOverride",
                         {"width": PRINT_WIDTH, "height": PRINT_HEIGHT,
                          "deviceScaleFactor": 2, "mobile": False}, session=session)
            printed = json.loads(browser.call("Runtime.evaluate", evaluate,
                                              session=session)["result"]["value"])
            facts["printed"] = printed
            shots["print"] = _capture(browser, session, {
                "x": 0, "y": 0, "width": PRINT_WIDTH,
                "height": max(PRINT_HEIGHT, min(printed["height"], 8000))})
            pdf = browser.call("Page.printToPDF", {
                "preferCSSPageSize": True, "printBackground": True}, session=session, timeout=60)
        finally:
            browser.close()

    def write(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    write(stem + ".png", base64.b64decode(shots["page"]["data"]))
    write(stem + "-print.png", base64.b64decode(shots["print"]["data"]))
    element_png = None
    if element in shots:
        element_png = base64.b64decode(shots[element]["data"])
        write("%s-%s.png" % (stem, element), element_png)
    pdf_bytes = base64.b64decode(pdf["data"])
    write(stem + ".pdf", pdf_bytes)
    return facts, card.page_problems(browser.events, local_only=True), element_png, pdf_bytes
