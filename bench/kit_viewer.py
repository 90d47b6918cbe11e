"""Timing the offline viewer in headless Chromium: time to ready, and search latency.

``measure_viewer`` is called by the kit benchmark on a viewer of a large synthetic group;
run this file directly to measure one viewer by hand::

    .venv/bin/python bench/kit_viewer.py bascule-kit-rennes.html --passphrase ... -q dupont
"""

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from playwright.sync_api import Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
READY_TIMEOUT_MS = 120_000

# Each query is run once to warm up, then timed; all inside the page so that only the
# viewer's own work is measured, not Playwright's round trips.
_TIME_SEARCHES = """async (queries) => {
  await window.bascule.ready;
  const timings = [];
  const counts = [];
  for (const query of queries) window.bascule.search(query);
  for (const query of queries) {
    const started = performance.now();
    const ids = window.bascule.search(query);
    timings.push(performance.now() - started);
    counts.push(ids.length);
  }
  return {timings, counts};
}"""


def _refuse_network(route: Route) -> None:
    if route.request.url.startswith("file://"):
        route.continue_()
    else:
        route.abort()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure_viewer(html_path: Path, passphrase: str, queries: list[str]) -> dict[str, Any]:
    """Open the viewer offline, unlock it, and time it.

    Returns ``ready_ms`` (the page's own figure: from navigation start to the passphrase
    form, plus from the passphrase to a searchable index; the time a person types is not
    counted), ``patients``, ``search_ms_median`` and ``search_ms_p95`` over ``queries``,
    and the page's step timings.
    """
    if not queries:
        raise ValueError("measure_viewer needs at least one query")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True)
            context.route("**/*", _refuse_network)
            page = context.new_page()
            page.set_default_timeout(READY_TIMEOUT_MS)
            page.goto(html_path.resolve().as_uri())
            page.locator("#passphrase").fill(passphrase)
            page.locator("#unlock-button").click()
            ready = page.evaluate("window.bascule.ready")
            measured = page.evaluate(_TIME_SEARCHES, queries)
        finally:
            browser.close()
    timings: list[float] = measured["timings"]
    return {
        "ready_ms": round(ready["millisecondsToReady"], 1),
        "patients": ready["patients"],
        "search_ms_median": round(statistics.median(timings), 2),
        "search_ms_p95": round(_percentile(timings, 0.95), 2),
        "search_ms_max": round(max(timings), 2),
        "queries": len(queries),
        "steps_ms": {name: round(value, 1) for name, value in ready["timings"].items()},
    }


def main() -> None:
    """Measure one viewer from the command line and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("viewer", type=Path)
    parser.add_argument("--passphrase", required=True)
    parser.add_argument("-q", "--query", action="append", required=True, dest="queries")
    arguments = parser.parse_args()
    figures = measure_viewer(arguments.viewer, arguments.passphrase, arguments.queries)
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
