"""Soak test of Voila's preheated kernels: load the overview N times, count hangs, vs default mode.

TOOLCHAIN.md saw 2 hangs in about 70 loads with `--preheat_kernel=True --pool_size=2`. Each load
here is a fresh browser context (a new deputy), one after another; a load that shows no places
table within the timeout is a hang, and the end of Voila's log is kept for it. Loads alternate
?lang=en and ?lang=zh: a page in the other language means the query string was lost, which a
briefing (?place=…) could not survive either.

    .venv/bin/python bench/soak_preheat.py --loads 35
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import CHROMIUM, CHROMIUM_ARGS, DATA_DIR, Voila, demo_db  # noqa: E402

MODES = {
    "default": [],
    "preheat": ["--preheat_kernel=True", "--pool_size=2"],
}


def soak(mode: str, loads: int, timeout_s: float, data_dir: Path, pause_s: float) -> dict:
    """Load the overview `loads` times in one mode; times, hangs and the log around each hang."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    times, hangs, wrong = [], [], []
    with Voila(demo_db(data_dir), MODES[mode]) as voila, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if mode == "preheat":
            time.sleep(15)  # let the pool fill once, as on a server that has been up a while
        for i in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            lang = "en" if i % 2 else "zh"
            start = time.perf_counter()
            try:
                page.goto(f"{voila.url}/voila/render/overview.ipynb?lang={lang}",
                          wait_until="commit", timeout=timeout_s * 1000)  # fmt: skip
                table = page.locator('[data-hehu="places-table"]')
                table.wait_for(timeout=timeout_s * 1000)
                times.append(time.perf_counter() - start)
                header = table.locator("th").first.inner_text()
                if header != {"en": "Name", "zh": "名称"}[lang]:
                    wrong.append({"load": i + 1, "asked": lang, "header": header})
            except PlaywrightTimeout:
                log = voila.log.read_text(errors="replace").splitlines()
                hangs.append({"load": i + 1, "log_tail": log[-30:]})
                print(f"{mode}: load {i + 1} timed out after {timeout_s:.0f} s", flush=True)
            finally:
                context.close()
            time.sleep(pause_s)
        browser.close()
    return {
        "mode": mode,
        "loads": loads,
        "ok": len(times),
        "hangs": len(hangs),
        "wrong_language": len(wrong),
        "median_s": statistics.median(times) if times else None,
        "p95_s": sorted(times)[max(0, int(0.95 * len(times)) - 1)] if times else None,
        "max_s": max(times) if times else None,
        "hang_logs": hangs,
        "wrong": wrong,
    }


def main(argv: list[str] | None = None) -> int:
    """Soak both modes; print a table; keep hang logs in the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=35)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between loads")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = [soak(m, args.loads, args.timeout, args.data_dir, args.pause) for m in args.modes]
    print("| mode | loads | shown | hangs (no table in "
          f"{args.timeout:.0f} s) | query string lost | median s | p95 s | max s |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        fmt = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
        print(f"| {r['mode']} | {r['loads']} | {r['ok']} | {r['hangs']} | {r['wrong_language']} "
              f"| {fmt(r['median_s'])} "
              f"| {fmt(r['p95_s'])} | {fmt(r['max_s'])} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
