#!/usr/bin/env python3
"""Checks a fuzzing report in a real browser (headless Chromium): lays the page out in a narrow
window (800 pixels), measures it from inside the page (nothing runs off the page sideways, every
plot has its size, every table row has the header's cells) and takes a screenshot whose pixels
must show the plots' lines and the crash banner actually drawn.

Usage: browser_check.py [REPORT_DIR] [--screenshot PNG]
  REPORT_DIR  a fuzz_overnight.sh output directory with report.html (default: a miniature run with
              crashes and a previous run, built here)
  --screenshot where to keep the screenshot (default: a temporary file)
Exits 0 when every check passes, 1 with the failures listed, 2 when Chromium is missing.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", "--force-device-scale-factor=1"]

# Runs inside the page after layout; its verdict is appended to the DOM that --dump-dom prints.
MEASURE = """<script>(function () {
  const r = {errors: [], svgs: 0, rows: 0, width: document.documentElement.clientWidth};
  document.querySelectorAll('details').forEach(d => d.open = true);
  const vw = r.width;
  if (document.documentElement.scrollWidth > vw + 1)
    r.errors.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + vw);
  document.querySelectorAll('.wrap, pre, .card, .crash, .banner, svg, h1, h2, p').forEach(e => {
    const b = e.getBoundingClientRect();
    if (b.right > vw + 1) r.errors.push(e.tagName + ' runs off the page: right ' + b.right);
  });
  document.querySelectorAll('table').forEach((t, ti) => {
    const head = t.rows[0].cells.length;
    for (const row of t.rows) {
      r.rows++;
      if (row.cells.length !== head) r.errors.push('table ' + ti + ': a row without all cells');
      for (let i = 0; i < row.cells.length; i++) {
        const a = row.cells[i].getBoundingClientRect(), h = t.rows[0].cells[i].getBoundingClientRect();
        if (Math.abs(a.left - h.left) > 0.5) r.errors.push('table ' + ti + ': column ' + i + ' off');
      }
    }
  });
  document.querySelectorAll('svg').forEach((s, i) => {
    r.svgs++;
    const b = s.getBoundingClientRect();
    if (b.width < 200 || b.height < 80) r.errors.push('svg ' + i + ' is ' + b.width + 'x' + b.height);
    const line = s.querySelector('polyline');
    if (line && line.getBBox().width <= 0) r.errors.push('svg ' + i + ': its line has no extent');
  });
  const out = document.createElement('pre');
  out.id = 'layout-check';
  out.textContent = JSON.stringify(r);
  document.body.appendChild(out);
})();</script>"""


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def run_chromium(browser, args, profile):
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def measure(browser, report, width, tmp):
    page = tmp / f"measure-{width}.html"
    page.write_text(report.read_text().replace("</body>", MEASURE + "</body>"))
    p = run_chromium(browser, [f"--window-size={width},900", "--dump-dom", page.as_uri()],
                     tmp / f"profile-{width}")
    m = re.search(r'<pre id="layout-check">(.*?)</pre>', p.stdout, re.S)
    if not m:
        return {"errors": [f"no measurement at {width}px: {p.stderr[-500:]}"]}
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes): (width, height,
    channels, rows of bytes)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = (int.from_bytes(body[0:4], "big"),
                                                   int.from_bytes(body[4:8], "big"), *body[8:13])
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG"
            ch = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * ch, [], bytearray(w * ch)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b, c = prev[i], prev[i - ch] if i >= ch else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, ch, rows


def colour_counts(rows, ch, colours, tolerance=10):
    """How many pixels are within `tolerance` of each named (r, g, b) colour, and how many are
    not near-white."""
    counts = {name: 0 for name in colours}
    inked = 0
    for row in rows:
        for x in range(0, len(row), ch):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if r < 235 or g < 235 or b < 235:
                inked += 1
            for name, (cr, cg, cb) in colours.items():
                if abs(r - cr) <= tolerance and abs(g - cg) <= tolerance and abs(b - cb) <= tolerance:
                    counts[name] += 1
    return counts, inked


def miniature_report(tmp):
    import fixture
    import report
    root = tmp / "repo"
    out = fixture.make_run(tmp / "run", root, cov_shift=40)
    fixture.fake_triage(out, root)
    prev = fixture.make_run(tmp / "prev", root, started="2026-12-05T01:00:00Z")
    report.write(prev)
    report.write(out, prev)
    return out


def check(report_dir, screenshot, tmp):
    browser = chromium()
    if not browser:
        print("browser_check: chromium is not installed (scripts/setup.sh installs it)")
        return 2
    report = report_dir / "report.html"
    errors = []
    for width in (800,):  # the narrow window is the one where things run off the page
        r = measure(browser, report, width, tmp)
        errors += [f"{width}px: {e}" for e in r["errors"]]
        if not r["errors"] and (r["svgs"] == 0 or r["rows"] < 2):
            errors.append(f"{width}px: nothing measured ({r})")
    p = run_chromium(browser, ["--window-size=1280,2600", f"--screenshot={screenshot}",
                               report.as_uri()], tmp / "profile-shot")
    if not Path(screenshot).is_file():
        errors.append(f"no screenshot: {p.stderr[-500:]}")
    else:
        w, h, ch, rows = png_pixels(screenshot)
        if (w, h) != (1280, 2600):
            errors.append(f"screenshot is {w}x{h}")
        # The banner is red when the report has crash buckets, green when it has none.
        banner = (("crash banner", (0xfe, 0xe2, 0xe2)) if 'class="banner bad"' in
                  report.read_text() else ("all-clear banner", (0xdc, 0xfc, 0xe7)))
        counts, inked = colour_counts(rows, ch, {"coverage line": (0x25, 0x63, 0xeb),
                                                 "exec/s line": (0x93, 0x33, 0xea),
                                                 banner[0]: banner[1]})
        if inked < w * h // 50:
            errors.append(f"screenshot nearly blank: {inked} inked pixels")
        for name, n in counts.items():
            if n < 150:
                errors.append(f"screenshot shows no {name} ({n} pixels of its colour)")
        print(f"browser_check: screenshot {screenshot}: {w}x{h}, {inked} inked pixels, {counts}")
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[2:]))
    ap.add_argument("report_dir", nargs="?")
    ap.add_argument("--screenshot", default="")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        report_dir = Path(a.report_dir) if a.report_dir else miniature_report(tmp)
        return check(report_dir, a.screenshot or str(tmp / "report.png"), tmp)


if __name__ == "__main__":
    sys.exit(main())
