"""Small inline-SVG line plots for the fuzzing report (no JavaScript, no external files)."""
import html
import math


def nice_ticks(lo, hi, count=4):
    """Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks, v = [], first
    while v <= hi + step * 1e-9:
        ticks.append(v)
        v += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def compact(v):
    """12345 -> '12.3k', 2500000 -> '2.5M', 7 -> '7'."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            s = f"{v / div:.1f}".rstrip("0").rstrip(".")
            return s + suffix
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def duration(seconds):
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}" if s % 60 else f"{s // 60}m"
    return f"{s}s"


def line_plot(points, title, color="#2563eb", width=360, height=170, y_from_zero=False):
    """An SVG line plot of [(x, y)] with axes, grid, tick labels (x in seconds) and the last value
    labelled. Returns the <svg> element as a string; an empty series gives a 'no samples' box."""
    ml, mr, mt, mb = 46, 12, 22, 26
    pw, ph = width - ml - mr, height - mt - mb
    esc = html.escape(title)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc}">',
             f'<title>{esc}</title>',
             f'<text x="{ml}" y="14" font-size="12" font-weight="600">{esc}</text>']
    if not points:
        parts.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" '
                     f'stroke="#ccc"/><text x="{ml + pw / 2}" y="{mt + ph / 2}" font-size="11" '
                     f'text-anchor="middle" fill="#888">no samples</text></svg>')
        return "".join(parts)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs)
    if x1 == x0:
        x1 = x0 + 1
    ylo, yhi = (0 if y_from_zero else min(ys)), max(ys)
    if yhi - ylo < max(1, yhi * 0.01):  # a flat line: show it mid-height, not on an axis
        pad = max(1, yhi * 0.01)
        ylo, yhi = max(0, ylo - pad), yhi + pad
    yt = nice_ticks(ylo, yhi)
    step = yt[1] - yt[0] if len(yt) > 1 else 1
    # Compact labels (1.2k) only when the steps are that coarse; else every digit (1,236).
    label = compact if step >= 100 and step % 100 == 0 else (lambda v: f"{v:,.0f}")
    y0, y1 = yt[0], yt[-1]
    if y1 == y0:
        y1 = y0 + 1

    def sx(x):
        return ml + (x - x0) / (x1 - x0) * pw

    def sy(y):
        return mt + ph - (y - y0) / (y1 - y0) * ph

    for t in yt:
        parts.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{sy(t):.1f}" y2="{sy(t):.1f}" '
                     f'stroke="#e5e7eb"/><text x="{ml - 4}" y="{sy(t) + 4:.1f}" font-size="10" '
                     f'text-anchor="end" fill="#555">{label(t)}</text>')
    for t in nice_ticks(x0, x1, 4):
        if x0 <= t <= x1:
            # a label at the right edge is right-aligned so it stays inside the picture
            anchor = "end" if sx(t) > ml + pw - 12 else "middle"
            parts.append(f'<text x="{sx(t):.1f}" y="{mt + ph + 14}" font-size="10" '
                         f'text-anchor="{anchor}" fill="#555">{duration(t)}</text>')
    parts.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" '
                 f'stroke="#9ca3af"/>')
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.8"/>')
    lx, ly = points[-1]
    parts.append(f'<circle cx="{sx(lx):.1f}" cy="{sy(ly):.1f}" r="2.5" fill="{color}"/>'
                 f'<text x="{ml + pw}" y="14" font-size="11" text-anchor="end" fill="{color}">'
                 f'{ly:,.0f}</text></svg>')
    return "".join(parts)


def sparkline(values, width=24):
    """A Unicode block sparkline for terminals: the values resampled to `width` characters."""
    if not values:
        return ""
    if len(values) > width:
        values = [values[int(i * (len(values) - 1) / (width - 1))] for i in range(width)]
    lo, hi = min(values), max(values)
    blocks = "▁▂▃▄▅▆▇█"
    if hi == lo:
        return blocks[3] * len(values)
    return "".join(blocks[int((v - lo) / (hi - lo) * 7)] for v in values)
