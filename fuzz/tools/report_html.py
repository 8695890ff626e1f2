"""report.html: the fuzzing report as one self-contained page (inline CSS and SVG plots, no
script, nothing fetched), rendered from report_model's dict."""
import html
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import svgplot  # noqa: E402
from report_model import num, pct, since_text  # noqa: E402


CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111;margin:0;
background:#f8fafc}
main{max-width:1200px;margin:0 auto;padding:1.2em 1.5em 3em}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;
padding-bottom:.2em}h3{font-size:1em;margin:1em 0 .3em}
.meta{color:#444}.banner{padding:.6em .9em;border-radius:6px;margin:.8em 0;font-weight:600}
.bad{background:#fee2e2;color:#7f1d1d}.good{background:#dcfce7;color:#14532d}
table{border-collapse:collapse;background:#fff;margin:.4em 0;max-width:100%}
th,td{border:1px solid #d1d5db;padding:.25em .6em;vertical-align:top}
th{background:#f1f5f9;text-align:left;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.wrap{overflow-x:auto;max-width:100%}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(370px,1fr));gap:.8em}
.card{background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:.5em .7em}
.card svg{display:block;max-width:100%;height:auto}
pre,code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
pre{background:#f1f5f9;border:1px solid #e2e8f0;padding:.5em .7em;overflow-x:auto;margin:.3em 0}
pre.cmd{white-space:pre-wrap;overflow-wrap:anywhere}.why{font-weight:600;margin:.2em 0}
summary{cursor:pointer;color:#334155;margin:.3em 0}
.crash{background:#fff;border:1px solid #fca5a5;border-left:5px solid #dc2626;border-radius:6px;
padding:.4em 1em;margin:.8em 0}.crash.old{border-color:#fcd34d;border-left-color:#d97706}
.tag{display:inline-block;font-size:11px;padding:0 .4em;border-radius:3px;background:#dc2626;color:#fff;
margin-left:.4em}.tag.old{background:#d97706}.tag.fix{background:#16a34a}
.muted{color:#666}.pos{color:#15803d}.neg{color:#b91c1c}
"""


def _e(s):
    return html.escape(str(s))


def _plots(t, labels):
    s = t["samples"]
    cov = svgplot.line_plot([(x[0], x[1]) for x in s],
                            labels.get("coverage_plot", "coverage (edges)"), "#2563eb")
    eps = svgplot.line_plot([(x[0], x[4]) for x in s], "exec/s", "#9333ea", y_from_zero=True)
    return f'<div class="card"><h3>{_e(t["name"])}</h3>{cov}{eps}</div>'


def _table(head, rows, numeric):
    """One <table>: a header row and body rows of already-escaped cells; numeric columns are
    right-aligned with tabular digits so they line up."""
    cls = lambda i: ' class="n"' if i in numeric else ""  # noqa: E731
    out = ["<tr>" + "".join(f"<th{cls(i)}>{h}</th>" for i, h in enumerate(head)) + "</tr>"]
    out += ["<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(r)) + "</tr>"
            for r in rows]
    return '<div class="wrap"><table>' + "".join(out) + "</table></div>"


def _target_table(m):
    since = m["previous"] is not None
    labels = m["run"].get("labels", {})  # a run may say what cov and ft count (crossmux fuzz)
    head = ["target", "executions", "exec/s (median)", labels.get("cov", "cov"),
            labels.get("ft", "ft"), "new features",
            "corpus (seed → merged)", "line coverage", "crash buckets"]
    head += ["since last run"] if since else []
    rows = []
    for t in m["targets"]:
        cells = [_e(t["name"]), num(t["execs"]), num(t["exec_s_median"]), num(t["cov"]),
                 num(t["ft"]), num(t["new_features"]),
                 f"{num(t['corpus_seed'])} → {num(t['corpus_merged'])}", pct(t["lines"]),
                 f'<span class="neg">{t["crashes"]}</span>' if t["crashes"] else "0"]
        if since:
            cells.append(_e(since_text(t.get("since"))) or '<span class="muted">new target</span>')
        rows.append(cells)
    return _table([_e(h) for h in head], rows, {1, 2, 3, 4, 5, 6, 7, 8})


def _new_tag(b):
    if b.get("new"):
        return '<span class="tag">new</span>'
    if b.get("new") is False:
        return '<span class="tag old">seen before</span>'
    return ""


def _crash_table(buckets):
    """One line per bucket, linking to its details further down."""
    rows = [[_e(b["target"]), f'<a href="#crash-{_e(b["key"])}"><code>{_e(b["key"])}</code></a>',
             _e(b["kind"]) + _new_tag(b), _e(b.get("reason") or b.get("summary", "")),
             str(b["count"]), num(b["size"])] for b in buckets]
    return _table(["target", "bucket", "kind", "why", "inputs", "reproducer bytes"], rows, {4, 5})


def _crash_html(b):
    frames = "\n".join(f"#{i} {f['short']}  {f['location']}" for i, f in enumerate(b["frames"][:8]))
    link = Path(b["reproducer"]).as_uri() if b.get("reproducer") else ""
    said = ""
    if b.get("message"):
        said = ('<details><summary>what the target printed</summary><pre>'
                + _e("\n".join(b["message"])) + "</pre></details>")
    return (f'<div class="crash{" old" if b.get("new") is False else ""}" id="crash-{_e(b["key"])}">'
            f'<h3>{_e(b["target"])} · <code>{_e(b["key"])}</code> · {_e(b["kind"])}{_new_tag(b)}'
            f'</h3><div class="why">{_e(b.get("reason") or b.get("summary", ""))}</div>'
            + (f'<div class="muted">{_e(b["summary"])}</div>' if b.get("reason") and
               b.get("summary") and b["summary"] != b["reason"] else "")
            + f'{said}'
            f'<div>{b["count"]} failing input(s); reproducer {b["size"]} bytes'
            f'{" (minimised)" if b.get("minimized") else ""}: <a href="{_e(link)}">'
            f'{_e(b["reproducer"])}</a></div>'
            f'<div>top frames:</div><pre>{_e(frames) or "(no symbolised frames)"}</pre>'
            f'<div>input:</div><pre>{_e(b["hex"])}</pre>'
            f'<div>reproduce:</div><pre class="cmd">{_e(b["repro_cmd"])}</pre>'
            f'<div>once fixed, keep it as a regression seed:</div>'
            f'<pre class="cmd">{_e(b["seed_cmd"])}</pre></div>')


def _coverage_html(m):
    c = m["coverage"]
    if not c["totals"]:
        return f'<p class="muted">No line coverage: {_e(c["error"] or "not measured")}</p>'
    t = c["totals"]
    idx = f' · <a href="{_e(c["index"])}">annotated sources (llvm-cov)</a>' if c["index"] else ""
    files = sorted(c["files"], key=lambda f: (f["lines"]["percent"], f["file"]))
    rows = [[f'<a href="{_e(f["link"])}">{_e(f["file"])}</a>' if f["link"] else _e(f["file"]),
             num(f["lines"]["count"]), num(f["lines"]["covered"]), pct(f["lines"])]
            for f in files]
    return (f'<p>Lines covered by the merged corpora of all fuzzed targets: <b>{t["covered"]:,} of '
            f'{t["count"]:,} ({t["percent"]:.1f}%)</b>{idx}</p><details><summary>per file, least '
            f'covered first ({len(files)} files)</summary>'
            + _table(["file", "lines", "covered", "line coverage"], rows, {1, 2, 3})
            + "</details>")


def _banner(m):
    buckets = m["buckets"]
    if not buckets:
        return '<div class="banner good">No crashes, timeouts, leaks or out-of-memory.</div>'
    new = sum(1 for b in buckets if b.get("new"))
    return (f'<div class="banner bad">{len(buckets)} crash bucket(s) in '
            f'{len({b["target"] for b in buckets})} target(s)'
            + (f", {new} new since the last run" if m["previous"] else "") + "</div>")


def _status_lists(m):
    """Reproducers that pass now (with the command that makes them regression seeds), known ones
    still failing, and failures that did not reproduce."""
    out = ""
    if m["fixed"]:
        out += "<h2>Fixed since they were found</h2><ul>" + "".join(
            f'<li><span class="tag fix">fixed</span> {_e(e["target"])} '
            f'<code>{_e(e.get("file") or e.get("reproducer"))}</code>'
            + (f'<pre class="cmd">{_e(e["seed_cmd"])}</pre>' if e.get("seed_cmd") else "")
            + "</li>" for e in m["fixed"]) + "</ul>"
    tri = m["triage"]
    still = [e for e in tri.get("open_checked", []) + tri.get("previous_checked", [])
             if e["status"].startswith(("open", "still"))]
    if still:
        out += "<h2>Known reproducers still failing</h2><ul>" + "".join(
            f'<li>{_e(e["target"])} <code>{_e(e.get("file") or e.get("reproducer"))}</code> '
            f'{_e(e.get("kind", ""))} ({_e(e["status"])})</li>' for e in still) + "</ul>"
    if tri.get("unreproduced"):
        out += "<h2>Failures that did not reproduce</h2><ul>" + "".join(
            f'<li>{_e(u["target"])} <code>{_e(u["artifact"])}</code></li>'
            for u in tri["unreproduced"]) + "</ul>"
    return out


def render_html(m):
    r = m["run"]
    prev = ""
    if m["previous"]:
        prev = f' · compared with the run of {_e(m["previous"].get("started", "?"))}'
    crash_list = _crash_table(m["buckets"]) if m["buckets"] else "<p>None.</p>"
    details = ""
    if m["buckets"]:
        details = ("<h2>Crash details</h2>" + "".join(_crash_html(b) for b in m["buckets"]))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>crossmux fuzzing report {_e(r.get("started", ""))}</title><style>{CSS}</style></head>
<body><main>
<h1>crossmux fuzzing report</h1>
<div class="meta">{_e(r.get("started", "?"))} · {_e(svgplot.duration(r.get("seconds", 0)))} per target
· {_e(r.get("jobs", "?"))} job(s) · commit <code>{_e(r.get("commit", "?"))}</code>
· {_e(r.get("compiler", ""))}{prev}</div>
{_banner(m)}
<h2>Targets</h2>
{_target_table(m)}
<h2>Crashes, deduplicated by kind and top frames</h2>
{crash_list}
{_status_lists(m)}
<h2>Coverage and speed over time</h2>
<div class="plots">{"".join(_plots(t, r.get("labels", {})) for t in m["targets"])}</div>
{details}
<h2>Line coverage (llvm-cov)</h2>
{_coverage_html(m)}
</main></body></html>
"""
