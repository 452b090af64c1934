#!/usr/bin/env python3
"""Loads briefing.html in headless Chromium (Playwright) from file:// and reports problems as JSON:
console errors and warnings, page errors, any request that is not the page itself, failed loads, scripts.
Takes a screenshot on screen and one in print media. Run by AtlasBriefingTests/PrintTests.swift:

    python3 briefing_check.py --page ATLAS/briefing/briefing.html --screenshots DIR [--chromium PATH]

Exits 0 when there is no problem, 1 when there are problems, 2 when the environment is unusable."""
import argparse
import json
import os
import sys

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    print(json.dumps({"problems": ["Python package 'playwright' is not installed: pip install playwright"]}))
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--chromium", default=os.environ.get("FEATURE_ATLAS_CHROMIUM", "/usr/lib/chromium/chromium"))
    args = parser.parse_args()
    page_path = os.path.abspath(args.page)
    url = "file://" + page_path
    os.makedirs(args.screenshots, exist_ok=True)
    problems = []
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        except Exception as error:
            print(json.dumps({"problems": [f"cannot launch Chromium at {args.chromium}: {error}"]}))
            sys.exit(2)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
        page.on("request", lambda r: None if r.url == url else problems.append(f"request: {r.url}"))
        page.goto(url)
        page.wait_for_load_state("load")
        scripts = page.evaluate("document.scripts.length")
        if scripts:
            problems.append(f"{scripts} script element(s)")
        overflow = page.evaluate("""() => [...document.querySelectorAll('svg, table, figure, pre')]
            .filter(e => e.getBoundingClientRect().right > document.querySelector('.brief').getBoundingClientRect().right + 1)
            .map(e => e.tagName + '.' + e.className.baseVal + e.className)""")
        for item in overflow:
            problems.append(f"element wider than the page: {item}")
        page.screenshot(path=os.path.join(args.screenshots, "screen.png"), full_page=True)
        page.emulate_media(media="print")
        page.screenshot(path=os.path.join(args.screenshots, "print.png"), full_page=True)
        browser.close()
    print(json.dumps({"problems": problems, "screenshots": args.screenshots}, indent=1))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
