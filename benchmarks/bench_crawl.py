"""Benchmark of the crawler (minillm/crawler.py): crawl throughput on the local server with politeness off.

The server (`minillm serve-web` over the bundled data/web) runs in its own process, so the crawler has the
Python interpreter to itself. Measured in the same run:

1. The peer: a bare `requests.Session` loop that GETs the same URLs the crawl saved, in the same order,
   and does nothing else (no robots, no parsing, no JSON) — the floor any Python crawler stands on.
2. minillm.crawl with 1, 2, 4 and 8 worker threads, on the tiny preset's limits (the whole site).

Both on a server that answers at once, then with --latency added to every answer (a far-away site),
which is where worker threads pay: they wait for the network side by side.

    python benchmarks/bench_crawl.py                  # latencies 0 and 0.02 s
    python benchmarks/bench_crawl.py --latency 0 0.05 --workers 1 4 16
"""

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from minillm.crawl import BUNDLED_HOME, PRESETS
from minillm.crawler import Crawler, read_pages


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    command = ("import argparse; from minillm import webserver; p = argparse.ArgumentParser(); "
               "webserver.add_serve_arguments(p); "
               f"webserver.run_serve_from_args(p.parse_args(['--port', '0', '--latency', '{latency}']))")
    server = subprocess.Popen([sys.executable, "-c", command], stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().split(" at ")[1].split()[0]
    return server, url


def crawl_once(address: str, workers: int) -> tuple[float, list[dict]]:
    cfg = dataclasses.replace(PRESETS["tiny"], seeds=(BUNDLED_HOME,), time_scale=0.0, workers=workers, timeout=30)
    with tempfile.TemporaryDirectory() as out:
        crawler = Crawler(cfg, Path(out) / "pages.jsonl", {"small-world.test": address}, progress=False)
        started = time.perf_counter()
        crawler.run()
        seconds = time.perf_counter() - started
        return seconds, read_pages(Path(out) / "pages.jsonl")


def bare_loop(address: str, records: list[dict]) -> float:
    session = requests.Session()
    urls = [r["url"].replace("small-world.test", address) for r in records]
    started = time.perf_counter()
    for url in urls:
        session.get(url, allow_redirects=False, timeout=30)  # without stream=True, get() reads the body
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.02], help="seconds per answer")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()

    print(f"{'server latency':>15} {'crawler':>24} {'URLs':>6} {'seconds':>8} {'pages/s':>8} {'vs 1 worker':>12}")
    for latency in args.latency:
        server, url = start_server(latency)
        address = url.split("//")[1].rstrip("/")
        try:
            rates = {}
            for workers in args.workers:
                seconds, records = crawl_once(address, workers)
                if not records:
                    sys.exit(f"the crawl of {url} fetched nothing (see the log lines above)")
                rates[workers] = len(records) / seconds
                ratio = rates[workers] / rates[args.workers[0]]
                print(f"{latency:>14g}s {f'minillm.crawl, {workers} worker(s)':>24} {len(records):>6} "
                      f"{seconds:>8.2f} {rates[workers]:>8.0f} {ratio:>11.2f}x")
            seconds = bare_loop(address, records)
            rate = len(records) / seconds
            print(f"{latency:>14g}s {'bare requests loop (peer)':>24} {len(records):>6} {seconds:>8.2f} {rate:>8.0f} "
                  f"{rate / rates[args.workers[0]]:>11.2f}x")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
