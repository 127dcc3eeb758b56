"""Benchmark: the staff page's replay (``POST /replay``) and its PDF (``POST /replay/pdf``)
against the library's ``replay`` on the same log, in the same run.

Run from the repository root::

    .venv/bin/python bench/replay_page.py           # 10^5 logged decisions (the page's bound)
    .venv/bin/python bench/replay_page.py --quick   # 10^4

The log is ``bench/replay.py``'s (Chicago requests of 2025, recorded in one transaction). A
reviewer signs in through the app (FastAPI's TestClient, in process); each round replays 2025
with the OCAD proposal added three ways, in alternating order: the library call alone
(``report.replay.replay`` on fresh deciders), the page (form parsed, CSRF checked, the replay,
the report rendered) and the PDF (the replay and WeasyPrint). The figures are medians;
``page_ratio`` and ``pdf_ratio`` are each one's time over the library's (1.0: the page costs
nothing on top). Never used as a test.

The last line is ``page_s=X pdf_s=Y``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import re
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from sanctuarygate.policy.decide import Decider
from sanctuarygate.policy.default import default_library
from sanctuarygate.report.replay import replay
from sanctuarygate.settings import load_settings
from sanctuarygate.store.staff import add_staff
from sanctuarygate.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent))
from replay import OCAD, fill  # bench/replay.py, beside this file

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note about httpx under its TestClient
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^4 logged decisions")
    parser.add_argument("--size", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n = args.size or (10_000 if args.quick else 100_000)
    print(f"{platform.python_implementation()} {platform.python_version()}, {n} logged decisions")
    with tempfile.TemporaryDirectory() as tmp:
        log = fill(Path(tmp), n)
        with log.engine.begin() as conn:
            add_staff(conn, "bench-reviewer", ["reviewer"], password=PASSWORD)
        settings = load_settings().model_copy(update={"data_dir": Path(tmp) / "app"})
        client = TestClient(create_app(settings, decider=Decider(default_library()), log=log))
        token = TOKEN.search(client.get("/signin").text).group(1)  # type: ignore[union-attr]
        client.post("/signin", data={"name": "bench-reviewer", "password": PASSWORD,
                                     "csrf_token": token}, follow_redirects=False)
        token = TOKEN.search(client.get("/replay").text).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": token, "profile": "chicago", "date_from": "2025-01-01",
                "date_to": "2025-12-31", "add": [OCAD]}

        def library() -> None:
            replay(log, Decider(default_library(), cache_size=0), profile="chicago",
                   start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), add=[OCAD])

        def post(path: str) -> None:
            answer = client.post(path, data=form)
            assert answer.status_code == 200, answer.text[:500]

        runs: dict[str, Callable[[], None]] = {"library": library, "page": lambda: post("/replay"),
                "pdf": lambda: post("/replay/pdf")}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(args.rounds):
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            for name in order:
                start = time.perf_counter()
                runs[name]()
                times[name].append(time.perf_counter() - start)
        log.engine.dispose()
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    for name, median in medians.items():
        print(f"{name:8} median {median:6.2f} s")
    print(f"page_ratio={medians['page'] / medians['library']:.2f}  "
          f"pdf_ratio={medians['pdf'] / medians['library']:.2f}  (over the library's time)")
    print(f"page_s={medians['page']:.2f} pdf_s={medians['pdf']:.2f}")


if __name__ == "__main__":
    main()
