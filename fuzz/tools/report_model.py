"""The data of a fuzzing report: what a fuzz_overnight.sh output directory holds (run.json,
per-target logs and samples, triage.json, llvm-cov summaries), gathered into one dict, compared
with a previous run's report.json, and the formatting both renderings share."""
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzlog  # noqa: E402


def _read_json(path, default):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return default


def _samples(tsv):
    """coverage.tsv rows (elapsed, cov, ft, corpus, exec_s) as tuples of ints, header skipped."""
    rows = []
    try:
        lines = Path(tsv).read_text().splitlines()[1:]
    except OSError:
        return rows
    for line in lines:
        f = line.split("\t")
        if len(f) >= 5 and all(x.strip().isdigit() for x in f[:5]):
            rows.append(tuple(int(x) for x in f[:5]))
    return rows


def _lines_summary(export):
    """(totals.lines, files) from an `llvm-cov export -summary-only` document."""
    data = (export or {}).get("data") or [{}]
    return data[0].get("totals", {}).get("lines"), data[0].get("files", [])


def collect_target(out, name, prev):
    d = out / name
    log = (d / "fuzz.log").read_text(errors="replace") if (d / "fuzz.log").exists() else ""
    status = list(fuzzlog.status_lines(log))
    # The first line after the seed corpus ran: INITED, or fork mode's first job report.
    inited = next((s for s in status if s["event"] == "INITED"), status[0] if status else {})
    last = status[-1] if status else {}
    samples = [s for s in _samples(d / "coverage.tsv") if s[1] > 0]
    rates = [s[4] for s in samples if s[4] > 0]
    merged = d / "merged"
    seeds = _read_json(out / "run.json", {}).get("seed_counts", {}).get(name)
    lines, _ = _lines_summary(_read_json(out / "coverage" / f"{name}.json", None))
    t = {
        "name": name,
        "execs": last.get("execs", 0),
        "exec_s_last": last.get("exec_s", 0),
        "exec_s_median": int(statistics.median(rates)) if rates else 0,
        "cov": last.get("cov", 0), "ft": last.get("ft", 0),
        "cov_start": inited.get("cov", 0), "ft_start": inited.get("ft", 0),
        "corpus_seed": seeds,
        "corpus_merged": sum(1 for p in merged.iterdir() if p.is_file()) if merged.is_dir() else None,
        "lines": lines,
        "samples": samples,
    }
    t["new_features"] = max(t["ft"] - t["ft_start"], 0) if inited else None
    p = prev.get(name)
    if p is not None:
        t["since"] = {"cov": t["cov"] - p.get("cov", 0), "ft": t["ft"] - p.get("ft", 0)}
        if lines and p.get("lines"):
            t["since"]["lines"] = lines["covered"] - p["lines"]["covered"]
    return t


def collect(out, previous=None):
    out = Path(out)
    run = _read_json(out / "run.json", {})
    prev_doc = {}
    if previous:
        pp = Path(previous)
        prev_doc = _read_json(pp / "report.json" if pp.is_dir() else pp, {})
    prev_targets = {t["name"]: t for t in prev_doc.get("targets", [])}
    targets = [collect_target(out, n, prev_targets) for n in run.get("targets", [])]
    triage = _read_json(out / "triage.json", {})
    buckets = triage.get("buckets", [])
    prev_keys = {b["key"] for b in prev_doc.get("crashes", [])}
    fixed = [e for e in triage.get("previous_checked", []) + triage.get("open_checked", [])
             if e["status"] == "fixed"]
    for b in buckets:  # None: no previous run to compare with
        b["new"] = (b["key"] not in prev_keys) if prev_doc else None
    for t in targets:
        mine = [b for b in buckets if b["target"] == t["name"]]
        t["crashes"] = len(mine)
        if "since" in t:
            t["since"]["new_crashes"] = sum(1 for b in mine if b["new"])
            t["since"]["fixed"] = sum(1 for e in fixed if e["target"] == t["name"])
    totals, files = _lines_summary(_read_json(out / "coverage" / "all.json", None))
    root = run.get("root", "")
    cov_files = []
    for f in files:
        # Ninja names sources relative to the build tree: ROOT/build/fuzz-cov/../../codecs/...
        name = os.path.normpath(f["filename"])
        page = out / "coverage-html" / "coverage" / (name.lstrip("/") + ".html")
        cov_files.append({"file": name[len(root) + 1:] if root and name.startswith(root) else name,
                          "lines": f["summary"]["lines"],
                          "link": str(page.relative_to(out)) if page.exists() else ""})
    index = out / "coverage-html" / "index.html"
    return {
        "run": run, "targets": targets, "buckets": buckets, "triage": triage, "fixed": fixed,
        "previous": prev_doc.get("run") if prev_doc else None,
        "coverage": {"totals": totals, "files": cov_files,
                     "index": "coverage-html/index.html" if index.exists() else "",
                     "error": run.get("coverage_error", "")},
    }


def summary_json(m):
    """What report.json keeps: enough for the next run's comparison and for scripts."""
    return {
        "run": m["run"],
        "targets": [{k: t[k] for k in ("name", "execs", "exec_s_median", "cov", "ft",
                                       "corpus_merged", "lines", "crashes")} for t in m["targets"]],
        "crashes": [{k: b.get(k) for k in ("target", "key", "kind", "summary", "reproducer",
                                           "repro_cmd", "seed_cmd", "count")}
                    for b in m["buckets"]],
        "fixed": m["fixed"],
        "coverage_totals": m["coverage"]["totals"],
    }


def num(v):
    return "–" if v is None else f"{v:,}"


def pct(lines):
    return "–" if not lines else f"{lines['percent']:.1f}%"


def delta(v):
    if v is None:
        return ""
    return f"+{v:,}" if v > 0 else (f"{v:,}" if v < 0 else "±0")


def since_text(s):
    if not s:
        return ""
    parts = [f"cov {delta(s['cov'])}"]
    if "lines" in s:
        parts.append(f"lines {delta(s['lines'])}")
    if s.get("new_crashes"):
        parts.append(f"{s['new_crashes']} new crash{'es' if s['new_crashes'] > 1 else ''}")
    if s.get("fixed"):
        parts.append(f"{s['fixed']} fixed")
    return ", ".join(parts)
