#!/usr/bin/env python3
"""Loads a rendered diff site (feature-atlas diff) in headless Chromium from file:// and checks it.

Run by AtlasPipelineTests/DiffTests.swift:

    python3 diff_browser_check.py --site D/site --plan plan.json --screenshots DIR

plan: {"pages": ["index.html", "lists/new.html", ...],
       "filter": {"page": "lists/matched.html", "query": "f0003", "expectAtMost": 3}}
Prints one JSON object (problems, screenshots, timings). Exit 2: no Playwright or no Chromium.
"""
import argparse
import json
import os
import sys
import time

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    print(json.dumps({"environment": "Python package 'playwright' is not installed: pip install playwright"}))
    sys.exit(2)


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
        print(json.dumps({"environment": f"Chromium not found at {args.chromium}"}))
        sys.exit(2)
    problems, report = [], {"screenshots": [], "timings": {}}
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        except Exception as error:  # pragma: no cover
            print(json.dumps({"environment": f"cannot launch Chromium at {args.chromium}: {error}"}))
            sys.exit(2)
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        log = []
        page.on("console", lambda m: log.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: log.append(f"page error: {e}"))
        page.on("request", lambda r: None if r.url.startswith("file://") else log.append(f"network request: {r.url}"))
        page.on("requestfailed", lambda r: log.append(f"failed request: {r.url}"))
        for name in plan.get("pages", []):
            t0 = time.monotonic()
            page.goto("file://" + os.path.join(site, name))
            page.wait_for_load_state("load")
            report["timings"][name] = time.monotonic() - t0
            if not page.evaluate("document.documentElement.classList.contains('js')"):
                problems.append(f"{name}: page.js did not run")
            shot = os.path.join(args.screenshots, name.replace("/", "_").replace(".html", "") + ".png")
            page.screenshot(path=shot, full_page=True)
            report["screenshots"].append(shot)
            for entry in log:
                problems.append(f"{name}: {entry}")
            log.clear()
        f = plan.get("filter")
        if f:
            page.goto("file://" + os.path.join(site, f["page"]))
            total = page.evaluate("document.querySelectorAll('tr[data-search]').length")
            page.fill("#filter", f["query"])
            shown = page.evaluate("Array.from(document.querySelectorAll('tr[data-search]')).filter(r => !r.hidden).length")
            if not (1 <= shown <= f["expectAtMost"]) or shown >= total:
                problems.append(f"{f['page']}: filter {f['query']!r} left {shown} of {total} rows")
            for entry in log:
                problems.append(f"{f['page']} filter: {entry}")
        browser.close()
    report["problems"] = problems
    print(json.dumps(report))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
