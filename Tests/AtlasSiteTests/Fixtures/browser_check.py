#!/usr/bin/env python3
"""Drives a rendered atlas in headless Chromium (Playwright) and checks that it works from file://.

Run by AtlasSiteTests/BrowserTests.swift; also usable by hand:

    python3 browser_check.py --site ATLAS/site --plan plan.json --screenshots DIR [--chromium PATH]

The plan (JSON) names what to check:
  {"mode": "normal" | "hostile",
   "features": 300,                            # number of points the map must end up drawing
   "search": {"query": "...", "expect": 42},   # a feature id (int) the search must list
   "idSearch": {"query": "f042", "page": "features/f042.html"},
   "hover": {"feature": 42, "label": "..."},   # hovering this point shows a tooltip with the label
   "pages": ["features/f042.html", ...],       # more pages to load (no errors, screenshots)
   "literal": {"features/f000.html": ["<script>alert(1)</script>", ...]}}  # hostile: text that must appear
  "layout": {...}   # reader checks of issue 16 (see check_layout)
  {"dump": {"pages": ["features/f000.html", ...], "out": DIR,   # only: load each page, let its scripts draw it,
            "json": ["features/f042.html"]}}   # write the document as XML (XMLSerializer) to DIR/<page>, and
                                               # what its JSON button saves to DIR/<page>.json

Prints one JSON object (timings, counts, problems) on stdout. Exits 1 if any check failed, 2 if the
environment is unusable (no Playwright, no Chromium), so CI cannot pass silently.
"""
import argparse
import json
import os
import sys
import time

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - reported to the Swift test
    print(json.dumps({"environment": "Python package 'playwright' is not installed: pip install playwright"}))
    sys.exit(2)

# Recorded before any page script runs: dialogs and the functions an injection would call.
TRAP = """
window.__atlasTrap = [];
for (const name of ['alert', 'confirm', 'prompt', 'print']) {
  const original = window[name];
  window[name] = function () { window.__atlasTrap.push(name + ':' + Array.from(arguments).join(',')); };
}
"""

# Things that must not exist in a rendered page: inline handlers, javascript: links, inline scripts,
# images (the pages have none; an injected <img onerror> would add one), iframes, objects.
DOM_AUDIT = """
() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) bad.push(el.tagName + ' has ' + a.name);
      if ((a.name === 'href' || a.name === 'src' || a.name === 'xlink:href') && /^\\s*javascript:/i.test(a.value)) bad.push(el.tagName + ' ' + a.name + '=' + a.value);
    }
  }
  for (const s of document.querySelectorAll('script')) if (!s.src) bad.push('inline script: ' + s.textContent.slice(0, 60));
  for (const tag of ['img', 'iframe', 'object', 'embed', 'textarea', 'form', 'base']) {
    const count = document.getElementsByTagName(tag).length;
    if (count) bad.push(count + ' <' + tag + '> element(s)');
  }
  return bad;
}
"""


# Layout checks of what a reader sees (issue 16): run at 1280 px unless said otherwise.
LOGITS_FIT = """
() => Array.from(document.querySelectorAll('.logits table')).map(t => {
  const card = t.closest('section').getBoundingClientRect();
  const table = t.getBoundingClientRect();
  const cells = Array.from(t.querySelectorAll('.tok')).map(c => c.getBoundingClientRect().right);
  return {tableRight: table.right, cardRight: card.right, scroll: t.scrollWidth, client: t.clientWidth,
          widestCell: cells.length ? Math.max(...cells) : 0};
})
"""

SWEEP_ROWS = """
() => { for (const d of document.querySelectorAll('details.steer-sweep')) d.open = true;
  return Array.from(document.querySelectorAll('.sweep-cells')).map(ol => {
    const tops = Array.from(ol.children).map(li => Math.round(li.getBoundingClientRect().top));
    return {cells: tops.length, rows: new Set(tops).size, labels: Array.from(ol.querySelectorAll('h4')).map(h => h.textContent)};
  }); }
"""

BLANK_GEN = """
() => { for (const d of document.querySelectorAll('details')) d.open = true;
  return Array.from(document.querySelectorAll('.gen')).filter(g => g.textContent.trim() === '').length; }
"""

ZOOM_FREE = """
() => { const b = document.getElementById('zoom-in'); if (!b) return 'no zoom-in button';
  const r = b.getBoundingClientRect(); if (r.width === 0) return 'zoom-in button not shown';
  if (r.top < 0 || r.bottom > window.innerHeight) return 'offscreen';
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (hit !== b && !b.contains(hit)) return 'zoom-in button covered by ' + (hit ? hit.tagName + '.' + hit.className : 'nothing');
  const map = document.getElementById('map').getBoundingClientRect();
  const top = document.elementFromPoint(map.left + map.width / 2, map.top + 3);
  if (!top || !document.getElementById('map').contains(top)) return 'top of the map covered by ' + (top ? top.tagName + '.' + top.className : 'nothing');
  return ''; }
"""


def check_layout(page, layout, url, shot, check_clean, problems):
    page.set_viewport_size({"width": 1280, "height": 900})
    for path in layout.get("logitPages", []):
        page.goto(url(path))
        page.wait_for_load_state("load")
        for t in page.evaluate(LOGITS_FIT):
            if t["tableRight"] > t["cardRight"] + 0.5 or t["scroll"] > t["client"] + 1 or t["widestCell"] > t["cardRight"] + 0.5:
                problems.append(f"{path}: a logit-effect table overflows its card: {t}")
        shot("logits-" + path.replace("/", "-").replace(".html", ""), full=True)
        check_clean(path)
    for path in layout.get("sweepPages", []):
        page.goto(url(path))
        page.wait_for_load_state("load")
        rows = page.evaluate(SWEEP_ROWS)
        if not rows:
            problems.append(f"{path}: no steering sweep rows to check")
        for r in rows:
            if r["rows"] != 1:
                problems.append(f"{path}: the sweep boxes {r['labels']} wrap onto {r['rows']} rows at 1280 px")
        shot("sweep-" + path.replace("/", "-").replace(".html", ""), full=True)
    for path in layout.get("blankGen", []):
        page.goto(url(path))
        page.wait_for_load_state("load")
        blank = page.evaluate(BLANK_GEN)
        if blank:
            problems.append(f"{path}: {blank} continuation box(es) show no visible text")
    sort = layout.get("sortTable")
    if sort:
        page.goto(url(sort["page"]))
        page.wait_for_load_state("load")
        table, column = sort["table"], sort["column"]
        values = f"Array.from(document.querySelectorAll('#{table} tbody tr:not([hidden])')).map(r => Number(r.cells[{column}].dataset.sort))"
        button = f"#{table} thead th:nth-child({column + 1}) button"
        if not page.query_selector(button):
            problems.append(f"{sort['page']}: column {column} of #{table} has no sort button")
        else:
            page.click(button)
            up = page.evaluate(values)
            page.click(button)
            down = page.evaluate(values)
            if up != sorted(up) or down != sorted(down, reverse=True) or len(up) < 2:
                problems.append(f"{sort['page']}: sorting #{table} by column {column} gives {up[:6]}… then {down[:6]}…")
            total = page.evaluate(f"document.querySelectorAll('#{table} tbody tr').length")
            page.fill(f"input.table-filter[data-table='{table}']", sort["filter"])
            page.wait_for_timeout(100)
            shown = page.evaluate(f"Array.from(document.querySelectorAll('#{table} tbody tr:not([hidden])')).map(r => r.textContent.toLowerCase())")
            if not shown or len(shown) >= total or any(sort["filter"] not in t for t in shown):
                problems.append(f"{sort['page']}: filtering #{table} by {sort['filter']!r} shows {len(shown)} of {total} rows")
            shot("sorted-filtered")
        check_clean(sort["page"])
    modes = layout.get("colourModes", [])
    if modes:
        page.goto(url("index.html"))
        page.wait_for_selector("#map[data-ready='true']", timeout=20000)
        for mode in modes:
            page.select_option("#colour-by", mode)
            page.wait_for_timeout(150)
            keys = page.evaluate("document.querySelectorAll('#colour-legend li').length")
            if mode != "cluster" and keys < 2:
                problems.append(f"index.html: colouring by {mode} shows {keys} legend entries")
            shot("colour-" + mode)
        check_clean("index.html colour schemes")
    narrow = layout.get("narrowPages", [])
    if narrow:
        page.set_viewport_size({"width": 390, "height": 844})
        for path in narrow:
            page.goto(url(path))
            page.wait_for_load_state("load")
            page.wait_for_timeout(150)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 392:
                problems.append(f"{path}: at 390 px the page is {width} px wide (scrolls sideways)")
            name = "narrow-" + path.replace("/", "-").replace(".html", "")
            shot(name)
            if path == "index.html":
                page.wait_for_selector("#map[data-ready='true']", timeout=20000)
                for where in ("at load", "after scrolling to the map"):
                    if where != "at load":
                        page.evaluate("document.getElementById('map').scrollIntoView()")
                        page.wait_for_timeout(150)
                    covered = page.evaluate(ZOOM_FREE)
                    if covered == "offscreen" and where == "at load":
                        continue
                    if covered:
                        problems.append(f"index.html at 390 px, {where}: {covered}")
                shot(name + "-map")
            check_clean(path + " at 390 px")
        page.set_viewport_size({"width": 1440, "height": 900})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--chromium", default=os.environ.get("FEATURE_ATLAS_CHROMIUM", "/usr/lib/chromium/chromium"))
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)
    site = os.path.abspath(args.site)
    os.makedirs(args.screenshots, exist_ok=True)
    if not os.path.exists(args.chromium):
        print(json.dumps({"environment": f"Chromium not found at {args.chromium} (apt-get install chromium, or set FEATURE_ATLAS_CHROMIUM)"}))
        sys.exit(2)

    problems, report = [], {"screenshots": [], "timings": {}}

    def url(path):
        return "file://" + os.path.join(site, path)

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        except Exception as error:  # pragma: no cover
            print(json.dumps({"environment": f"cannot launch Chromium at {args.chromium}: {error}"}))
            sys.exit(2)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
        context.add_init_script(TRAP)
        page = context.new_page()
        log = {"console": [], "errors": [], "requests": [], "dialogs": []}
        page.on("console", lambda m: log["console"].append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: log["errors"].append(str(e)))
        page.on("request", lambda r: None if r.url.startswith("file://") else log["requests"].append(r.url))
        page.on("dialog", lambda d: (log["dialogs"].append(f"{d.type}: {d.message}"), d.dismiss()))

        def shot(name, full=False):
            path = os.path.join(args.screenshots, name + ".png")
            page.screenshot(path=path, full_page=full)
            report["screenshots"].append(path)

        def check_clean(where):
            for kind in ("console", "errors", "requests", "dialogs"):
                for entry in log[kind]:
                    problems.append(f"{where}: {kind}: {entry}")
                log[kind].clear()
            trapped = page.evaluate("window.__atlasTrap || []")
            for call in trapped:
                problems.append(f"{where}: script called {call}")
            for issue in page.evaluate(DOM_AUDIT):
                problems.append(f"{where}: {issue}")

        def visible_position(feature):
            """Where the feature is drawn; if a control covers it or it is off screen, centre it first."""
            position = page.evaluate(f"FA.screenPosition({feature})")
            hit = position and page.evaluate(f"document.elementFromPoint({position['x']}, {position['y']})?.tagName")
            if hit != "CANVAS":
                page.evaluate(f"FA.focusFeature({feature})")
                page.wait_for_timeout(150)
                position = page.evaluate(f"FA.screenPosition({feature})")
            return position

        def check_literal(where):
            text = page.evaluate("document.body.textContent")
            for needle in plan.get("literal", {}).get(where, []):
                if needle not in text:
                    problems.append(f"{where}: text {needle!r} is not displayed literally")

        # MARK: dump: pages as their scripts leave them (what the tests of drawn content read)
        dump = plan.get("dump")
        if dump:
            # One round trip a page: the DOM audit, the trapped calls, the text and the document as XML. The
            # scripts run before DOMContentLoaded (they end the body), so the page is drawn by then.
            grab = "() => ({bad: (" + DOM_AUDIT.strip() + ")(), trap: window.__atlasTrap || [], " \
                   "text: document.body.textContent, xml: new XMLSerializer().serializeToString(document)})"
            t0 = time.monotonic()
            for path in dump["pages"]:
                page.goto(url(path), wait_until="domcontentloaded")
                got = page.evaluate(grab)
                for kind in ("console", "errors", "requests", "dialogs"):
                    problems.extend(f"{path}: {kind}: {entry}" for entry in log[kind])
                    log[kind].clear()
                problems.extend(f"{path}: script called {call}" for call in got["trap"])
                problems.extend(f"{path}: {issue}" for issue in got["bad"])
                problems.extend(f"{path}: text {needle!r} is not displayed literally"
                                for needle in plan.get("literal", {}).get(path, []) if needle not in got["text"])
                target = os.path.join(dump["out"], path)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w", encoding="utf-8") as f:
                    f.write(got["xml"])
                if path in dump.get("json", []):
                    # What the page's JSON button saves, next to the drawn page (<page>.json).
                    with page.expect_download() as download:
                        page.click("#json")
                    download.value.save_as(target + ".json")
            report["timings"]["dump"] = time.monotonic() - t0
            browser.close()
            report["problems"] = problems
            print(json.dumps(report, indent=1))
            sys.exit(1 if problems else 0)

        # MARK: index: load time, every point drawn
        t0 = time.monotonic()
        page.goto(url("index.html"))
        page.wait_for_load_state("load")
        report["timings"]["indexLoad"] = time.monotonic() - t0
        try:
            page.wait_for_selector("#map[data-ready='true']", timeout=20000)
        except Exception:
            problems.append("index.html: the map never finished loading its data chunks")
        report["timings"]["indexReady"] = time.monotonic() - t0
        points = page.get_attribute("#map", "data-points")
        report["points"] = int(points or 0)
        if report["points"] != plan.get("features", -1):
            problems.append(f"index.html: the map drew {points} points, expected {plan.get('features')}")
        page.wait_for_timeout(150)
        shot("index")
        check_clean("index.html")
        check_literal("index.html")
        layout = plan.get("layout")
        if layout:
            check_layout(page, layout, url, shot, check_clean, problems)
        if plan.get("loadOnly"):
            browser.close()
            report["problems"] = problems
            print(json.dumps(report, indent=1))
            sys.exit(1 if problems else 0)

        # MARK: search by text
        search = plan.get("search")
        if search:
            page.fill("#search", search["query"])
            page.wait_for_timeout(250)
            listed = page.eval_on_selector_all("#search-results li", "els => els.map(e => parseInt(e.dataset.feature, 10))")
            report["searchResults"] = len(listed)
            if search["expect"] not in listed:
                problems.append(f"search {search['query']!r} does not list feature {search['expect']} (got {listed[:10]})")
            texts = page.eval_on_selector_all("#search-results li .rl", "els => els.map(e => e.textContent)")
            for needle in search.get("labels", []):
                if needle not in texts:
                    problems.append(f"search results do not show the label {needle!r} literally")
            page.keyboard.press("ArrowDown")
            page.wait_for_timeout(150)
            selected = page.get_attribute("#search-results li[aria-selected='true']", "data-feature")
            if selected is None:
                problems.append("ArrowDown in the search box selects no result")
            shot("search")
            page.fill("#search", "")
            check_clean("index.html search")

        # MARK: search by id, Enter navigates
        id_search = plan.get("idSearch")
        if id_search:
            page.fill("#search", id_search["query"])
            page.wait_for_timeout(200)
            with page.expect_navigation():
                page.press("#search", "Enter")
            if not page.url.endswith(id_search["page"]):
                problems.append(f"Enter on {id_search['query']!r} opened {page.url}, expected {id_search['page']}")
            check_clean(id_search["page"])
            page.goto(url("index.html"))
            page.wait_for_selector("#map[data-ready='true']", timeout=20000)

        # MARK: hover shows the tooltip, click opens the feature
        hover = plan.get("hover")
        if hover:
            position = visible_position(hover["feature"])
            if not position:
                problems.append(f"FA.screenPosition({hover['feature']}) is null")
            else:
                page.mouse.move(position["x"], position["y"])
                page.wait_for_timeout(200)
                visible = page.is_visible("#map-tip")
                tip = page.text_content("#map-tip") or ""
                if not visible:
                    problems.append("hovering a point shows no tooltip")
                if hover["label"] not in tip:
                    problems.append(f"tooltip {tip!r} does not contain the label {hover['label']!r}")
                shot("tooltip")
                t0 = time.monotonic()
                with page.expect_navigation():
                    page.mouse.click(position["x"], position["y"])
                report["timings"]["featureLoad"] = time.monotonic() - t0
                expected = hover.get("page")
                if expected and not page.url.endswith(expected):
                    problems.append(f"clicking the point opened {page.url}, expected {expected}")
                page.wait_for_timeout(100)
                shot("feature")
                shot("feature-full", full=True)
                check_clean(expected or "feature page")
                check_literal(expected or "")
                page.goto(url("index.html"))
                page.wait_for_selector("#map[data-ready='true']", timeout=20000)

        # MARK: zoom with the keyboard: finer cluster names appear
        page.focus("#map")
        if hover:
            page.evaluate(f"FA.focusFeature({hover['feature']})")  # centre on a feature, zoomed in 4×
        for _ in range(2):
            page.keyboard.press("+")
        page.wait_for_timeout(250)
        report["labelsWhenZoomed"] = page.eval_on_selector_all(".map-overlay .lbl:not([hidden])", "els => els.map(e => e.className)")
        if not any(c.split()[-1] in ("l1", "l2") for c in report["labelsWhenZoomed"]):
            problems.append(f"zooming in shows no middle or fine cluster names: {report['labelsWhenZoomed'][:5]}")
        shot("zoomed")
        page.keyboard.press("0")
        check_clean("index.html zoom")

        # MARK: other pages
        for path in plan.get("pages", []):
            page.goto(url(path))
            page.wait_for_load_state("load")
            page.wait_for_timeout(100)
            name = path.replace("/", "-").replace(".html", "")
            shot(name)
            check_clean(path)
            check_literal(path)

        if plan.get("mode") == "hostile":
            tip_needles = plan.get("hostileTooltip")
            if tip_needles:
                page.goto(url("index.html"))
                page.wait_for_selector("#map[data-ready='true']", timeout=20000)
                position = visible_position(tip_needles["feature"])
                page.mouse.move(position["x"], position["y"])
                page.wait_for_timeout(200)
                tip = page.text_content("#map-tip") or ""
                if tip_needles["label"] not in tip:
                    problems.append(f"hostile tooltip {tip!r} does not show {tip_needles['label']!r} literally")
                shot("hostile-tooltip")
                check_clean("index.html hostile hover")

        browser.close()

    report["problems"] = problems
    print(json.dumps(report, indent=1))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
