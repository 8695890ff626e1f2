#!/usr/bin/env python3
"""Tests of report.py on a triaged run of the demo target: the HTML is self-contained, its tables
line up (one table, the same cells in every row), every target has its two plots, crashes show
their frames, input, reproducer and seed commands, text is escaped, coverage pages are linked,
and the "since last run" column compares with a previous report. Also that every fuzz script's
--help exits 0."""
import html.parser
import json
import subprocess
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import fixture  # noqa: E402
import report  # noqa: E402


class Dom(html.parser.HTMLParser):
    """Just enough of a DOM for the checks: tables as lists of rows of cell texts, tags counted,
    attributes of links and sources, the text of <pre> blocks."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.tags, self.hrefs, self.srcs, self.pres = [], {}, [], [], []
        self.polylines = []
        self._cell = self._pre = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "pre":
            self._pre = []
        elif tag == "polyline":
            self.polylines.append(a.get("points", "").split())
        if "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "pre" and self._pre is not None:
            self.pres.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data):
        for buf in (self._cell, self._pre):
            if buf is not None:
                buf.append(data)


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fx = fixture.triaged_run()
        cls.out = cls.fx["out"]
        cls.model = report.write(cls.out, cls.fx["prev"])
        cls.html = (cls.out / "report.html").read_text()
        cls.dom = Dom(cls.html)
        cls.md = (cls.out / "report.md").read_text()

    def test_self_contained(self):
        self.assertNotIn("<script", self.html)
        self.assertNotIn("<link", self.html)
        self.assertEqual(self.dom.srcs, [])
        self.assertFalse([h for h in self.dom.hrefs if h.startswith(("http:", "https:", "//"))])

    def test_target_table_lines_up(self):
        table = self.dom.tables[0]
        self.assertEqual(table[0][0], "target")
        self.assertEqual([r[0] for r in table[1:]], ["demo", "calm"])
        self.assertEqual({len(r) for r in table}, {len(table[0])})
        self.assertEqual(table[0][-1], "since last run")

    def test_since_last_run(self):
        row = {r[0]: r for r in self.dom.tables[0][1:]}
        # demo: cov 790 now vs 2000 then; lines 810 vs 300; both buckets new; two reproducers fixed
        self.assertEqual(row["demo"][-1], "cov -1,210, lines +510, 2 new crashes, 2 fixed")
        self.assertEqual(row["calm"][-1], "new target")

    def test_no_previous_no_since_column(self):
        dom = Dom(report.render_html(report.collect(self.out)))
        self.assertNotIn("since last run", dom.tables[0][0])
        self.assertNotIn("new</span>", report.render_html(report.collect(self.out)))

    def test_two_plots_per_target(self):
        self.assertEqual(self.dom.tags.get("svg"), 4)
        self.assertEqual([len(p) for p in self.dom.polylines], [8, 8, 8, 8])

    def test_crash_buckets_shown_whole(self):
        buckets = self.fx["result"]["buckets"]
        self.assertEqual(len(buckets), 2)
        for b in buckets:
            self.assertIn(b["repro_cmd"], self.dom.pres)
            self.assertIn(b["seed_cmd"], self.dom.pres)
            self.assertIn(b["hex"], self.dom.pres)
            self.assertIn(b["key"], self.html)
        frames = [p for p in self.dom.pres if p.startswith("#0 demo::read_past")]
        self.assertEqual(len(frames), 1)
        self.assertIn("demo: oracle violated: two framings", self.html)

    def test_text_is_escaped(self):
        m = report.collect(self.out)
        m["buckets"][0]["summary"] = "<b>bold</b> & more"
        out = report.render_html(m)
        self.assertIn("&lt;b&gt;bold&lt;/b&gt; &amp; more", out)
        self.assertNotIn("<b>bold", out)

    def test_coverage_pages_linked(self):
        self.assertIn("coverage-html/index.html", self.dom.hrefs)
        page = [h for h in self.dom.hrefs if h.endswith("codecs/h1/decoder.cc.html")]
        self.assertEqual(len(page), 1)
        self.assertTrue((self.out / page[0]).is_file())
        cov = [t for t in self.dom.tables if t[0][0] == "file"][0]
        self.assertEqual(cov[1][0], "mux/proxy/exchange.cc")  # least covered first
        self.assertEqual(cov[1][-1], "8.3%")

    def test_fixed_reproducers_listed_with_seed_command(self):
        fixed = [e for e in self.fx["result"]["open_checked"] if e["status"] == "fixed"]
        self.assertEqual(len(fixed), 1)
        self.assertIn(fixed[0]["seed_cmd"], self.dom.pres)

    def test_markdown_twin(self):
        rows = [line for line in self.md.splitlines() if line.startswith("| ")]
        self.assertEqual(len(rows), 3)
        self.assertEqual({r.count(" | ") for r in rows}, {rows[0].count(" | ")})
        self.assertIn("▁", self.md)
        for b in self.fx["result"]["buckets"]:
            self.assertIn(f"reproduce: `{b['repro_cmd']}`", self.md)

    def test_report_json_feeds_the_next_run(self):
        doc = json.loads((self.out / "report.json").read_text())
        self.assertEqual({c["key"] for c in doc["crashes"]},
                         {b["key"] for b in self.fx["result"]["buckets"]})
        again = report.collect(self.out, self.out / "report.json")
        self.assertEqual([b["new"] for b in again["buckets"]], [False, False])
        self.assertEqual(again["targets"][0]["since"]["cov"], 0)


class Help(unittest.TestCase):
    def test_every_fuzz_script_has_help_that_exits_0(self):
        for cmd in (["bash", "scripts/fuzz_overnight.sh", "--help"],
                    ["bash", "scripts/fuzz_overnight.sh", "-h"],
                    ["bash", "scripts/fuzz_ci.sh", "--help"],
                    ["bash", "scripts/fuzz_speed.sh", "-h"],
                    ["bash", "scripts/fuzz_coverage.sh", "--help"],
                    [sys.executable, "fuzz/tools/report.py", "--help"],
                    [sys.executable, "fuzz/tools/triage.py", "--help"]):
            p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, f"{cmd}: {p.stderr}")
            self.assertIn("Usage", p.stdout + p.stderr.replace("usage", "Usage"), cmd)


if __name__ == "__main__":
    unittest.main()
