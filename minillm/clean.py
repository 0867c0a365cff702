"""The clean stage of lesson 02: the crawl's pages through every cleaning step, counted in a funnel.

`clean_pages` runs FineWeb's steps in its order (Penedo et al. 2024, datatrove's examples/fineweb.py):

    URL blocklist -> main-text extraction -> language ID -> Gopher repetition -> Gopher quality
    -> C4 lines -> FineWeb's own filters -> exact dedup -> MinHash near-dedup -> PII masking

and records what each step removed. The stage (`minillm clean`) writes the kept text, the funnel and its plot,
and scores extraction, dedup and language ID against the bundled web's manifest.
"""

import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin, urlparse

import numpy as np
from tqdm.auto import tqdm

from minillm import artifacts, dedup, extract, filters, langid, pii
from minillm.charsets import decode_html
from minillm.crawl import BUNDLED_SITE
from minillm.errors import UserError
from minillm.files import DATA_DIR, atomic_path, atomic_write_text, check_output_folder, make_dir, replace_folder

# ----------------------------------------------------------------------------- the pipeline


@dataclass
class CleanConfig:
    language: str = "en"  # the language kept
    language_threshold: float = 0.65  # FineWeb keeps fastText English scores >= 0.65
    url_banned_words: tuple[str, ...] = filters.URL_BANNED_WORDS
    blocked_hosts: tuple[str, ...] = ()
    shingle_size: int = 5  # words per shingle (FineWeb: 5-grams)
    bands: int = 14  # FineWeb: 14 buckets ...
    rows: int = 8  # ... of 8 hashes each, 112 in all
    seed: int = 1
    mask_pii: bool = True


PRESETS = {"tiny": CleanConfig(), "small": CleanConfig(), "gpt2": CleanConfig()}


@dataclass
class Document:
    url: str
    extracted: str  # the main text as extracted, before any filter edits it
    text: str  # the text as it stands now (C4 drops lines, PII is masked)
    dropped: str = ""  # the step and reason that removed it ("" while kept)


@dataclass
class Funnel:
    """Documents and words still kept after each step, and why the others were dropped."""

    steps: list = field(default_factory=list)

    def record(self, step: str, docs: list[Document], dropped: Counter) -> None:
        kept = [d for d in docs if not d.dropped]
        self.steps.append({"step": step, "docs": len(kept), "words": sum(len(extract.words(d.text)) for d in kept),
                           "dropped": dict(dropped.most_common())})


def read_pages(path: Path) -> tuple[list[dict], int]:
    """The crawl's records, and how many lines were not valid JSON (a crawl killed mid-line leaves one)."""
    if not path.is_file():
        raise UserError(f"no crawl output at {path} (run `minillm crawl` first, or pass --input)")
    records, broken = [], 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                broken += 1
                continue
            if isinstance(record, dict) and isinstance(record.get("url"), str):
                records.append(record)
            else:
                broken += 1
    return records, broken


def is_html_page(record: dict) -> bool:
    return (record.get("status") == 200 and isinstance(record.get("html"), str) and bool(record["html"].strip())
            and "html" in (record.get("content_type") or "text/html"))


def apply_filter(docs: list[Document], step: str, verdict) -> Counter:
    """Run `verdict(doc) -> (keep, reason)` on every kept document; mark the dropped ones."""
    dropped = Counter()
    for doc in docs:
        if doc.dropped:
            continue
        keep, reason = verdict(doc)
        if not keep:
            doc.dropped = reason or step
            dropped[doc.dropped] += 1
    return dropped


def clean_pages(records: list[dict], cfg: CleanConfig, progress: bool = True) -> tuple[list[Document], Funnel, dict]:
    """Run every step on the crawl's records; returns all documents (kept ones have dropped == ""), the funnel,
    and {"pii": counts per kind, "clusters": the duplicate clusters as lists of URLs}."""
    funnel = Funnel()
    pages = [r for r in records if is_html_page(r)]
    docs = []
    for record in tqdm(pages, desc="extract", unit="page", disable=not progress):
        text = extract.extract_text(record["html"])
        docs.append(Document(record["url"], text, text))
    funnel.steps.append({"step": "fetched", "docs": len(records), "words": None, "dropped": {}})
    funnel.record("HTML pages", docs, Counter({"not an HTML page (status, type or empty)": len(records) - len(pages)}))

    funnel.record("URL blocklist", docs, apply_filter(
        docs, "url", lambda d: filters.url_filter(d.url, cfg.url_banned_words, cfg.blocked_hosts)))
    funnel.record("extraction", docs, apply_filter(
        docs, "extraction", lambda d: (bool(extract.words(d.text)), "extraction:no_text")))
    model = langid.default_language_model()
    funnel.record("language", docs, apply_filter(
        docs, "language", lambda d: langid.language_filter(d.text, cfg.language, cfg.language_threshold, model)))
    funnel.record("Gopher repetition", docs, apply_filter(
        docs, "gopher_rep", lambda d: filters.gopher_repetition_filter(d.text)))
    funnel.record("Gopher quality", docs, apply_filter(
        docs, "gopher_quality", lambda d: filters.gopher_quality_filter(d.text)))
    dropped = apply_filter(docs, "c4", lambda d: filters.c4_filter(d.text))
    for doc in docs:
        if not doc.dropped:
            doc.text = filters.c4_lines(doc.text)
    funnel.record("C4 lines", docs, dropped)
    funnel.record("FineWeb filters", docs, apply_filter(docs, "fineweb", lambda d: filters.fineweb_filter(d.text)))

    kept = [d for d in docs if not d.dropped]
    result = dedup.deduplicate([d.text for d in kept], cfg.shingle_size, cfg.bands, cfg.rows, cfg.seed, progress)
    for i in result.exact_dropped:
        kept[i].dropped = "dedup:exact"
    funnel.record("exact dedup", docs, Counter({"dedup:exact": len(result.exact_dropped)}))
    for i in result.near_dropped:
        kept[i].dropped = "dedup:minhash"
    funnel.record("MinHash dedup", docs, Counter({"dedup:minhash": len(result.near_dropped)}))

    pii_counts = {"email": 0, "phone": 0, "ip": 0}
    if cfg.mask_pii:
        for doc in docs:
            if not doc.dropped:
                doc.text, counts = pii.mask_pii(doc.text)
                pii_counts = {k: pii_counts[k] + counts[k] for k in pii_counts}
    funnel.record("PII masked", docs, Counter())
    clusters = [[kept[i].url for i in c] for c in result.clusters]
    return docs, funnel, {"pii": pii_counts, "clusters": clusters}


# ----------------------------------------------------------------------------- scoring against the manifest


def load_manifest(path: Path | None = None) -> dict | None:
    path = path or DATA_DIR / "web" / "_manifest.json"
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def manifest_path(url: str, manifest: dict) -> str | None:
    """The manifest key ("/animals/lion.html") of a page of the bundled web, else None."""
    parsed = urlparse(url)
    bundled = parsed.hostname == urlparse(BUNDLED_SITE).hostname or parsed.hostname in LOOPBACK_HOSTS
    if not bundled or parsed.query:
        return None
    return parsed.path if parsed.path in manifest["pages"] else None


def read_bundled_web(folder: Path | None = None) -> list[dict]:
    """The bundled web's pages as crawl records, read straight from data/web/ (no server, no politeness wait):
    every page a polite crawler may fetch, decoded by its declared charset, in path order."""
    folder = Path(folder or DATA_DIR / "web")
    manifest = load_manifest(folder / "_manifest.json")
    if manifest is None:
        raise UserError(f"no bundled web at {folder} (regenerate it with `minillm world`)")
    records = []
    for path, page in sorted(manifest["pages"].items()):
        if page.get("disallowed"):
            continue
        html, encoding = decode_html((folder / path.lstrip("/")).read_bytes())
        records.append({"url": urljoin(BUNDLED_SITE, path), "status": 200, "depth": 0, "fetched_at": "",
                        "content_type": "text/html", "encoding": encoding, "html": html, "links": []})
    return records


def score_against_manifest(docs: list[Document], clusters: list[list[str]], manifest: dict) -> dict:
    """Extraction F1 on the good pages, dedup pair precision/recall, and which good pages were kept."""
    by_path = {p: d for d in docs if (p := manifest_path(d.url, manifest))}
    if not by_path:
        return {}
    pages = manifest["pages"]
    f1s = [extract.extraction_scores(d.extracted, pages[p]["main_text"])
           for p, d in by_path.items() if pages[p].get("good")]
    metrics = {}
    if f1s:
        metrics |= {"extraction_precision": float(np.mean([s[0] for s in f1s])),
                    "extraction_recall": float(np.mean([s[1] for s in f1s])),
                    "extraction_f1": float(np.mean([s[2] for s in f1s]))}
    reached_dedup = {p for p, d in by_path.items() if d.dropped in ("", "dedup:exact", "dedup:minhash")}
    true_groups = [[m for m in g["members"] if m in reached_dedup] for g in manifest.get("duplicate_groups", [])]
    predicted_groups = [[manifest_path(u, manifest) for u in c] for c in clusters]
    predicted_groups = [[m for m in g if m] for g in predicted_groups]
    precision, recall = dedup.pair_scores(dedup.cluster_pairs(predicted_groups), dedup.cluster_pairs(true_groups))
    metrics |= {"dedup_precision": precision, "dedup_recall": recall}
    kept = [p for p, d in by_path.items() if not d.dropped]
    metrics["kept_good_share"] = sum(bool(pages[p].get("good")) for p in kept) / max(len(kept), 1)
    return metrics



# ----------------------------------------------------------------------------- the funnel plot


def draw_funnel(axes, steps: list[dict]) -> None:
    """Two bar charts, like FineWeb's: documents and words left after each step, as a share of the HTML pages."""
    steps = [s for s in steps if s["words"] is not None]
    names = [s["step"] for s in steps]
    y = np.arange(len(steps))[::-1]
    for ax, key, color in zip(axes, ("docs", "words"), ("#4c72b0", "#dd8452")):
        start = max(steps[0][key], 1)
        shares = [100 * s[key] / start for s in steps]
        ax.barh(y, shares, color=color)
        for yi, share, s in zip(y, shares, steps):
            ax.text(min(share, 100) + 1, yi, f"{s[key]:,} ({share:.0f} %)", va="center", fontsize=8)
        ax.set_yticks(y, names if ax is axes[0] else [""] * len(names))
        ax.set_xlim(0, 135)
        ax.set_xlabel(f"% of the HTML pages' {key}")
        ax.set_title(f"{'documents' if key == 'docs' else 'words'} kept after each step")


def save_funnel_plot(steps: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure  # the object API needs no backend: safe inside notebooks and servers

    fig = Figure(figsize=(10, 0.35 * len(steps) + 1.5), layout="constrained")
    draw_funnel(fig.subplots(1, 2), steps)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


# ----------------------------------------------------------------------------- the pipeline stage


def clean_file(pages_path: Path, cfg: CleanConfig, out: Path, progress: bool = True) -> dict:
    """Clean one crawl output into `out`: clean.jsonl, funnel.json, funnel.png; returns the stage report."""
    records, broken = read_pages(Path(pages_path))
    if not records:  # a wrong file or a failed crawl: an empty corpus would only fail later, less clearly
        found = f"{broken:,} line(s), none a JSON record with a \"url\"" if broken else "nothing"
        raise UserError(f"{pages_path} holds no crawl records ({found}): nothing to clean")
    docs, funnel, extra = clean_pages(records, cfg, progress)
    if broken:
        funnel.steps[0]["dropped"] = {"unreadable JSON line": broken}
    kept = [d for d in docs if not d.dropped]
    lines = (json.dumps({"url": d.url, "text": d.text}, ensure_ascii=False) + "\n" for d in kept)
    atomic_write_text(out / "clean.jsonl", "".join(lines))
    html_step = funnel.steps[1]
    metrics = {"docs_in": len(records), "html_pages": html_step["docs"], "docs_out": len(kept),
               "words_in": html_step["words"], "words_out": funnel.steps[-1]["words"]}
    metrics |= {f"pii_{kind}": n for kind, n in extra["pii"].items()}
    manifest = load_manifest()
    if manifest:
        metrics |= score_against_manifest(docs, extra["clusters"], manifest)
        metrics["langid_accuracy"] = langid.language_accuracy(manifest)[0]
    summary = {"steps": funnel.steps, "pii": extra["pii"], "metrics": metrics, "clusters": extra["clusters"],
               "documents": [{"url": d.url, "dropped": d.dropped} for d in docs]}
    atomic_write_text(out / "funnel.json", json.dumps(summary, indent=1, ensure_ascii=False))
    save_funnel_plot(funnel.steps, out / "funnel.png")
    share = 100 * metrics["words_out"] / max(metrics["words_in"], 1)
    return {"metrics": metrics, "figures": ["funnel.png"],
            "summary": f"Kept {len(kept):,} of {html_step['docs']:,} HTML pages ({share:.0f} % of their words) "
                       "after URL, language, Gopher, C4 and FineWeb filters and exact + MinHash dedup; "
                       f"masked {sum(extra['pii'].values())} e-mails, phone numbers and public IPs."}


def build_stage(cfg: CleanConfig, inputs: dict[str, Path], out: Path, progress: bool = True) -> dict:
    """Stage `clean`: inputs["crawl"]/pages.jsonl -> out/clean.jsonl, out/funnel.json, out/funnel.png."""
    return clean_file(inputs["crawl"] / "pages.jsonl", cfg, out, progress)


# ----------------------------------------------------------------------------- command line: minillm clean


def add_arguments(parser) -> None:
    parser.add_argument("--preset", default="tiny", choices=artifacts.PRESETS,
                        help="size of everything (default: tiny)")
    parser.add_argument("--input", type=Path, metavar="PAGES_JSONL",
                        help="crawl output to clean (default: the preset's crawl, run first if needed)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: runs/<preset>/clean)")
    parser.add_argument("--language", help="language to keep (default: en)")
    parser.add_argument("--keep-pii", action="store_true", help="do not mask e-mails, phone numbers and IPs")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def run_from_args(args) -> int:
    cfg = replace(PRESETS[args.preset], mask_pii=not args.keep_pii)
    if args.language:
        known = langid.default_language_model().languages
        if args.language not in known:
            raise UserError(f"unknown language {args.language!r} (the language model knows {', '.join(known)})")
        cfg = replace(cfg, language=args.language)
    progress = not args.quiet
    if args.input is None and args.out is None:
        folder = artifacts.build("clean", args.preset, cfg, progress=progress)
        report = artifacts.stamp(folder)
    else:
        folder = Path(args.out or artifacts.runs_dir() / args.preset / "clean")
        check_output_folder(folder, "clean")  # before the work: never replace a folder clean did not write
        pages = args.input or artifacts.get("crawl", args.preset, progress) / "pages.jsonl"
        make_dir(folder.parent)
        work = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".partial"))
        try:
            report = clean_file(pages, cfg, work, progress)
            replace_folder(work, folder, "clean")
        finally:
            if work.exists():
                shutil.rmtree(work)
    m = report["metrics"]
    print(f"kept {m['docs_out']:,} of {m['html_pages']:,} HTML pages, {m['words_out']:,} of {m['words_in']:,} words")
    print(f"wrote {folder / 'clean.jsonl'}, {folder / 'funnel.json'}, {folder / 'funnel.png'}")
    return 0
