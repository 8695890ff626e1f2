#!/usr/bin/env python3
"""Writes the morning report of a fuzzing run: report.html (self-contained: inline CSS and SVG,
no script, no network), report.md (the same for terminals) and report.json (what the next run's
"since last run" column compares with).

Usage: report.py OUT [--previous PREVIOUS]
  OUT       a fuzz_overnight.sh output directory: run.json, <target>/coverage.tsv, <target>/fuzz.log,
            <target>/merged/, triage.json, coverage/*.json, coverage-html/
  PREVIOUS  an earlier run's directory or its report.json
"""
import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_html import render_html  # noqa: E402,F401
from report_md import render_md  # noqa: E402,F401
from report_model import collect, summary_json  # noqa: E402,F401


def write(out, previous=None):
    m = collect(out, previous)
    out = Path(out)
    (out / "report.html").write_text(render_html(m))
    (out / "report.md").write_text(render_md(m))
    (out / "report.json").write_text(json.dumps(summary_json(m), indent=1))
    return m


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[2:]))
    ap.add_argument("out")
    ap.add_argument("--previous", default="")
    a = ap.parse_args(argv)
    if not (Path(a.out) / "run.json").is_file():
        print(f"report: {a.out}/run.json not found (not a fuzz_overnight.sh output directory)",
              file=sys.stderr)
        return 2
    write(a.out, a.previous or None)
    print(f"report: {a.out}/report.html, report.md, report.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
