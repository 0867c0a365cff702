"""The crawl stage (lesson 01): the bundled mini web, or a real site, crawled into pages.jsonl.

crawl() runs the Crawler of minillm/crawler.py; for the bundled web it first starts the local server of
minillm/webserver.py and crawls it under a stable host name. build_stage adds the stage's log, metrics and
figure; add_arguments and run_from_args are `minillm crawl`.
"""

import argparse
import dataclasses
import logging
import math
from pathlib import Path
from urllib.parse import urlsplit

from minillm import artifacts
from minillm.crawler import CrawlConfig, Crawler, check_seeds, read_pages
from minillm.crawler import log as crawler_log
from minillm.errors import UserError
from minillm.files import claim_folder, make_dir
from minillm.urls import host_of, normalize_url
from minillm.webserver import Faults, serve_web

# The bundled web gets a stable, never-resolving name (.test is reserved, RFC 2606), so pages.jsonl says
# the same URLs whatever port the local server had; the crawler connects to the server behind it.
BUNDLED_SITE = "http://small-world.test/"
BUNDLED_HOME = BUNDLED_SITE + "index.html"  # the seed: the manifest's "home"

PRESETS = {
    # The bundled web has ~2,900 URLs, at most 4 links deep, and asks for a Crawl-delay of 0.05 s: about
    # 150 s at full politeness (small, gpt2). tiny runs the clock 5x faster on our own loopback server.
    "tiny": CrawlConfig(max_pages=5000, max_depth=6, time_scale=0.2),
    "small": CrawlConfig(max_pages=5000, max_depth=6),
    "gpt2": CrawlConfig(max_pages=5000, max_depth=6),
}


def crawl(cfg: CrawlConfig, out, progress: bool = True, connect: dict[str, str] | None = None) -> dict:
    """Crawl into out/pages.jsonl (resuming what is there); the bundled web when cfg.seeds is empty.

    For the bundled web the local server is started and stopped here. Returns the crawl's stats.
    """
    out = make_dir(out)
    if cfg.seeds:
        return Crawler(cfg, out / "pages.jsonl", connect, progress).run()
    faults = Faults(cfg.faults, cfg.fault_seed) if cfg.faults else None
    with serve_web(faults=faults) as server:
        bundled = dataclasses.replace(cfg, seeds=(BUNDLED_HOME,))
        return Crawler(bundled, out / "pages.jsonl", {host_of(BUNDLED_SITE): server.address}, progress).run()


# ----------------------------------------------------------------------------- pipeline stage


def build_stage(cfg: CrawlConfig, inputs: dict, out: Path, progress: bool = True) -> dict:
    """Stage `crawl`: out/pages.jsonl (+ crawl.log, crawl.png); resumes a pages.jsonl already in `out`."""
    handler = logging.FileHandler(Path(out) / "crawl.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    crawler_log.addHandler(handler)
    previous_level = crawler_log.level
    crawler_log.setLevel(min(crawler_log.getEffectiveLevel(), logging.INFO))
    try:
        stats = crawl(cfg, out, progress)
    finally:
        crawler_log.removeHandler(handler)
        crawler_log.setLevel(previous_level)
        handler.close()
    records = read_pages(Path(out) / "pages.jsonl")
    plot_crawl(records, Path(out) / "crawl.png")
    metrics = crawl_metrics(stats, records)
    where = "the bundled web (local server)" if not cfg.seeds else ", ".join(cfg.seeds)
    summary = (f"Crawled {metrics['pages']} URLs of {where} breadth first in {metrics['seconds']} s: "
               f"{metrics['html_pages']} HTML pages saved, {metrics['disallowed_skipped']} URLs skipped because "
               f"robots.txt disallows them and {metrics['trap_refused']} trap URLs refused (too deep, too long or "
               "repeating).")
    return {"metrics": metrics, "figures": ["crawl.png"], "summary": summary}


def crawl_metrics(stats: dict, records: list[dict]) -> dict:
    metrics = {
        "pages": stats["pages"],
        "html_pages": sum(1 for r in records if r["html"] is not None),
        "max_depth": max((r["depth"] for r in records), default=0),
    }
    metrics.update({f"status_{status}": n for status, n in stats["statuses"].items()})
    metrics.update({
        "disallowed_skipped": stats["disallowed_skipped"], "trap_refused": stats["trap_refused"],
        "out_of_scope_links": stats["refused"].get("out_of_scope", 0), "resumed_pages": stats["resumed"],
        "megabytes": round(stats["bytes"] / 1e6, 2), "seconds": stats["seconds"],
    })
    return metrics


def plot_crawl(records: list[dict], path=None, figure=None):
    """Two panels: the link graph laid out in rings by crawl depth, and pages per depth by outcome.
    Writes a PNG when `path` is given; draws into `figure` (e.g. from plt.figure) when one is given."""
    from matplotlib.figure import Figure

    fig = figure if figure is not None else Figure(figsize=(11, 4.8), dpi=110)
    graph, bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
    draw_link_graph(graph, records)
    draw_depth_bars(bars, records)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig


def outcome(record: dict) -> str:
    status = record["status"]
    if record["html"] is not None:
        return "HTML page"
    if status is not None and 300 <= status < 400:
        return "redirect"
    if status is not None and status >= 400:
        return "4xx/5xx"
    return "other (not HTML, failed)"


OUTCOME_COLOURS = {"HTML page": "tab:blue", "redirect": "tab:orange", "4xx/5xx": "tab:red",
                   "other (not HTML, failed)": "tab:gray"}


def draw_link_graph(ax, records: list[dict]) -> None:
    """Each URL a dot on a ring whose radius is its crawl depth, joined to the page that first linked to it:
    the breadth-first tree of the crawl (all links would paint the picture grey)."""
    from matplotlib.collections import LineCollection

    where = ring_layout(records)
    found_by: dict[str, str] = {}
    for r in records:
        for link in r["links"] + ([r["location"]] if r["location"] else []):
            found_by.setdefault(link, r["url"])
    tree = [(where[found_by[url]], where[url]) for url in where if url in found_by and found_by[url] in where]
    ax.add_collection(LineCollection(tree, colors="0.7", linewidths=0.3, zorder=1))
    for name, colour in OUTCOME_COLOURS.items():
        points = [where[r["url"]] for r in records if outcome(r) == name]
        if points:
            xs, ys = zip(*points)
            ax.scatter(xs, ys, s=9, color=colour, label=name, zorder=2)
    n_links = sum(len(r["links"]) for r in records)
    ax.set_title(f"who found whom: {len(records)} URLs by depth (rings), {n_links:,} links in all", fontsize=10)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(loc="lower left", fontsize=7, frameon=False)


def ring_layout(records: list[dict]) -> dict[str, tuple[float, float]]:
    """(x, y) of each URL: on a ring whose radius is its crawl depth, in alphabetical order round the ring."""
    import numpy as np

    by_depth: dict[int, list[str]] = {}
    for r in records:
        by_depth.setdefault(r["depth"], []).append(r["url"])
    where = {}
    for depth, urls in by_depth.items():
        angles = np.linspace(0, 2 * np.pi, len(urls), endpoint=False) + depth * 0.3
        for url, angle in zip(sorted(urls), angles):
            where[url] = (depth * np.cos(angle), depth * np.sin(angle))
    return where


def draw_depth_bars(ax, records: list[dict]) -> None:
    depths = sorted({r["depth"] for r in records})
    bottom = [0] * len(depths)
    for name, colour in OUTCOME_COLOURS.items():
        counts = [sum(1 for r in records if r["depth"] == d and outcome(r) == name) for d in depths]
        ax.bar(depths, counts, bottom=bottom, color=colour, label=name)
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_xticks(depths)
    ax.set_yscale("log")  # a crawl is wide at depth 2 or 3 and thin below: a trap's few pages still show
    ax.set_ylim(bottom=0.5)
    ax.set_xlabel("crawl depth (links from the home page)")
    ax.set_ylabel("URLs fetched (log scale)")
    ax.set_title("breadth first: URLs fetched per depth")
    ax.legend(fontsize=7, frameon=False)


# ----------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm crawl`."""
    parser.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="crawl settings (default: tiny)")
    parser.add_argument("--seed", action="append", metavar="URL", help="start here instead of the bundled web "
                        "(repeatable); stays on the seeds' hosts")
    parser.add_argument("--allow-host", action="append", metavar="HOST", help="also crawl this host[:port]")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write DIR/pages.jsonl (default: runs/<preset>/crawl "
                        "for the bundled web, runs/crawl-<host> for --seed); an existing one is resumed")
    parser.add_argument("--max-pages", type=int, metavar="N", help="stop after N fetches")
    parser.add_argument("--max-depth", type=int, metavar="N", help="follow links at most N deep")
    parser.add_argument("--workers", type=int, metavar="N", help="fetch with N threads (per-host delay still holds)")
    parser.add_argument("--delay", type=float, metavar="SECONDS", help="wait between requests to one host when "
                        "robots.txt sets no Crawl-delay (default: 1)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="per request (default: 10)")
    parser.add_argument("--faults", type=float, metavar="FRACTION", help="bundled web only: make this fraction of "
                        "URLs fail (500, 503, 429, slow, dropped, oversized)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def config_from_args(args) -> CrawlConfig:
    cfg = dataclasses.replace(PRESETS[args.preset])
    if args.seed:
        cfg.seeds = tuple(args.seed)
    seeds = check_seeds(cfg.seeds or (BUNDLED_SITE,))
    if args.allow_host:
        cfg.allowed_hosts = tuple(args.allow_host) + tuple(host_of(s) for s in seeds)
    for name in ("max_pages", "max_depth", "workers", "delay", "timeout", "faults"):
        value = getattr(args, name)
        if value is not None:
            positive = name in ("max_pages", "workers", "timeout")
            if not 0 <= value < math.inf or (value == 0 and positive):  # nan fails every comparison
                raise UserError(f"--{name.replace('_', '-')} must be {'positive' if positive else '>= 0'}")
            setattr(cfg, name, value)
    if cfg.faults and cfg.seeds:
        raise UserError("--faults works on the bundled web only (it is the local server that fails)")
    if cfg.faults > 1:
        raise UserError("--faults is a fraction between 0 and 1")
    return cfg


def run_from_args(args) -> int:
    """`minillm crawl`: the bundled web into runs/<preset>/crawl, or --seed URLs into --out."""
    cfg = config_from_args(args)
    if not logging.getLogger().handlers:  # problems on stderr; the stage's crawl.log also gets the INFO lines
        logging.basicConfig(format="%(levelname)s %(message)s")
        logging.getLogger().handlers[0].setLevel(logging.WARNING)
    if args.out is None and not cfg.seeds:
        folder = artifacts.build("crawl", args.preset, cfg, progress=not args.quiet)
        print(f"wrote {folder / 'pages.jsonl'}")
        return 0
    out = args.out or artifacts.runs_dir() / f"crawl-{urlsplit(normalize_url(cfg.seeds[0])).hostname}"
    stats = crawl(cfg, claim_folder(out, "crawl"), progress=not args.quiet)  # resumes only its own crawl
    print(f"{stats['pages']} URLs in {stats['seconds']} s ({stats['resumed']} from before); "
          f"wrote {out / 'pages.jsonl'}")
    return 0
