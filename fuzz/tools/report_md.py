"""report.md: the fuzzing report for terminals (Markdown tables, Unicode sparklines), rendered
from report_model's dict."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import svgplot  # noqa: E402
from report_model import num, pct, since_text  # noqa: E402


def _md_table(head, rows, numeric):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---:" if i in numeric else "---" for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(out)


def render_md(m):
    r = m["run"]
    since = m["previous"] is not None
    out = ["# crossmux fuzzing report", "",
           f"{r.get('started', '?')}, {svgplot.duration(r.get('seconds', 0))} per target, "
           f"{r.get('jobs', '?')} job(s), commit {r.get('commit', '?')}"
           + (f", compared with the run of {m['previous'].get('started', '?')}" if since else ""),
           ""]
    labels = r.get("labels", {})  # a run may say what cov and ft count (crossmux fuzz)
    head = ["target", "executions", "exec/s", labels.get("cov", "cov"), labels.get("ft", "ft"),
            "new ft", "corpus", "lines",
            "crashes", "coverage over time"] + (["since last run"] if since else [])
    rows = []
    for t in m["targets"]:
        row = [t["name"], num(t["execs"]), num(t["exec_s_median"]), num(t["cov"]),
               num(t["ft"]), num(t["new_features"]),
               f"{num(t['corpus_seed'])} → {num(t['corpus_merged'])}", pct(t["lines"]),
               t["crashes"], svgplot.sparkline([s[1] for s in t["samples"]])]
        if since:
            row.append(since_text(t.get("since")) or "new target")
        rows.append(row)
    out += [_md_table(head, rows, {1, 2, 3, 4, 5, 7, 8}), "", "## Crashes", ""]
    if not m["buckets"]:
        out += ["None.", ""]
    for b in m["buckets"]:
        tag = " (new)" if b.get("new") else ""
        out += [f"### {b['target']} `{b['key']}` {b['kind']}{tag}", "", b.get("summary", ""), ""]
        out += [f"    {x}" for x in b.get("message", [])]
        out += ["", "```"] + [f"#{i} {f['short']}  {f['location']}"
                              for i, f in enumerate(b["frames"][:6])] + ["```", "", "```",
                                                                          b["hex"], "```", ""]
        out += [f"reproduce: `{b['repro_cmd']}`", "",
                f"once fixed: `{b['seed_cmd']}`", ""]
    if m["fixed"]:
        out += ["## Fixed since they were found", ""]
        out += [f"- {e['target']} `{e.get('file') or e.get('reproducer')}`"
                + (f": `{e['seed_cmd']}`" if e.get("seed_cmd") else "") for e in m["fixed"]]
        out.append("")
    c = m["coverage"]
    out += ["## Line coverage", ""]
    if c["totals"]:
        t = c["totals"]
        out.append(f"{t['covered']:,} of {t['count']:,} lines ({t['percent']:.1f}%); annotated "
                   f"sources: {c['index'] or '(none)'}")
    else:
        out.append(f"Not measured: {c['error'] or 'no coverage data'}")
    return "\n".join(out) + "\n"
