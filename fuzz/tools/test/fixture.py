"""A fuzzing run in miniature for the triage, report and browser tests: builds demo_fuzzer.cc
(a libFuzzer target with two known bugs) with clang, and lays out an output directory the way
fuzz_overnight.sh does (run.json, per-target fuzz.log, coverage.tsv, merged corpus, crashes,
llvm-cov summaries)."""
import atexit
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import triage  # noqa: E402


def find_clang():
    """The clang++ that builds libFuzzer targets: $CROSSMUX_TEST_CLANG, else clang++-19, clang++."""
    for c in (os.environ.get("CROSSMUX_TEST_CLANG"), "clang++-19", "clang++"):
        if c and shutil.which(c):
            return shutil.which(c)
    raise RuntimeError("no clang++ found (scripts/setup.sh installs it)")


def build_demo(bin_dir, names=("demo",), clean=False):
    """Compiles demo_fuzzer.cc with libFuzzer + ASan + UBSan into bin_dir/<name>_fuzzer for each
    name (the same binary under several target names); `clean`: without its two bugs."""
    bin_dir = Path(bin_dir)
    bin_dir.mkdir(parents=True, exist_ok=True)
    first = bin_dir / f"{names[0]}_fuzzer"
    subprocess.run([find_clang(), "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
                    *(["-DDEMO_CLEAN"] if clean else []), str(HERE / "demo_fuzzer.cc"),
                    "-o", str(first)], check=True)
    for n in names[1:]:
        shutil.copy(first, bin_dir / f"{n}_fuzzer")
    return bin_dir


def write(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)


def fuzz_log(points, seeds):
    """A libFuzzer log with an INITED line and one NEW line per (cov, ft, corpus, exec/s) point."""
    lines = ["INFO: Running with entropic power schedule (0xFF, 100).", "INFO: Seed: 1",
             f"INFO: {seeds} files found in corpus"]
    execs = seeds
    for i, (cov, ft, corp, eps) in enumerate(points):
        execs += eps * 10
        event = "INITED" if i == 0 else "NEW   "
        lines.append(f"#{execs}\t{event} cov: {cov} ft: {ft} corp: {corp}/12Kb exec/s: {eps} "
                     "rss: 40Mb")
    return "\n".join(lines + ["stat::number_of_executed_units: %d" % execs]) + "\n"


def lines_summary(count, covered):
    return {"count": count, "covered": covered, "percent": 100.0 * covered / count}


def llvm_cov_export(files):
    """An `llvm-cov export -summary-only` document for {filename: (lines, covered)}."""
    entries = [{"filename": f, "summary": {"lines": lines_summary(n, c)}}
               for f, (n, c) in files.items()]
    total_n = sum(n for n, _ in files.values())
    total_c = sum(c for _, c in files.values())
    return {"data": [{"files": entries, "totals": {"lines": lines_summary(total_n, total_c)}}],
            "type": "llvm.coverage.json.export", "version": "2.0.1"}


def make_run(out, root, targets=("demo", "calm"), cov_shift=0, started="2026-12-06T01:00:00Z"):
    """Lays out a run directory for `targets` (crash files go to demo/crashes: two overflow
    inputs, one oracle failure, one that does not reproduce)."""
    out = Path(out)
    seeds = {t: 3 for t in targets}
    for k, t in enumerate(targets):
        base = 300 * (k + 1) + cov_shift
        points = [(base + 10 * i * i, 2 * base + 25 * i, 3 + i, 900 + 40 * i) for i in range(8)]
        write(out / t / "fuzz.log", fuzz_log(points, seeds[t]))
        tsv = ["elapsed\tcov\tft\tcorpus\texec_s"] + [
            f"{10 * (i + 1)}\t{c}\t{f}\t{n}\t{e}" for i, (c, f, n, e) in enumerate(points)]
        write(out / t / "coverage.tsv", "\n".join(tsv) + "\n")
        for i in range(5 + k):
            write(out / t / "merged" / f"unit{i}", b"GET / HTTP/1.1\r\n\r\n" + bytes([i]))
        (out / t / "crashes").mkdir(parents=True, exist_ok=True)
    if "demo" in targets:
        crashes = out / "demo" / "crashes"
        write(crashes / "crash-0001", b"!Hxxxxxxxxxxxxxxxxxxxxxxxx")
        write(crashes / "crash-0002", b"!Hyy")
        write(crashes / "crash-0003", b"!A <script>alert(1)</script>")
        write(crashes / "timeout-0004", b"runs clean now")
    files = {f"{root}/build/fuzz-cov/../../codecs/h1/decoder.cc": (400, 310 + cov_shift),
             f"{root}/codecs/h2/connection.cc": (900, 500),
             f"{root}/mux/proxy/exchange.cc": (1200, 100)}
    write(out / "coverage" / "all.json", json.dumps(llvm_cov_export(files)))
    for t in targets:
        write(out / "coverage" / f"{t}.json", json.dumps(llvm_cov_export(
            {f: v for f, v in list(files.items())[:2]})))
    write(out / "coverage-html" / "index.html", "<html>llvm-cov index</html>")
    write(out / "coverage-html" / "coverage" / (f"{root}/codecs/h1/decoder.cc".lstrip("/") + ".html"),
          "<html>decoder.cc</html>")
    write(out / "run.json", json.dumps({
        "started": started, "seconds": 80, "jobs": 2, "per_target_jobs": 1, "commit": "abc1234",
        "root": str(root), "compiler": "Debian clang version 19.1.7", "targets": list(targets),
        "seed_counts": seeds, "coverage_error": ""}))
    return out


_triaged = None


def triaged_run():
    """One run directory triaged by triage.py with the real demo target, shared by every test in
    the process (building and triaging costs seconds). Returns a dict: root (the pretend
    repository), out, bin, rc (triage's exit status), result (triage.json)."""
    global _triaged
    if _triaged is not None:
        return _triaged
    tmp = tempfile.TemporaryDirectory()
    atexit.register(tmp.cleanup)
    base = Path(tmp.name)
    root = base / "repo"
    bin_dir = build_demo(root / "build", ["demo", "calm"])
    out = make_run(base / "run", root)
    open_dir = root / "corpus" / "open"
    write(open_dir / "demo" / "was-fixed-last-week", b"!Z runs clean now")
    write(open_dir / "demo" / "still-failing", b"!A still")
    write(open_dir / "calm" / "README.md", b"not a reproducer")
    write(base / "old-repro", b"passes")
    prev = base / "prev" / "report.json"
    write(prev, json.dumps({
        "run": {"started": "2026-12-05T01:00:00Z"},
        "targets": [{"name": "demo", "cov": 2000, "ft": 500, "lines": lines_summary(400, 300)}],
        "crashes": [{"target": "demo", "key": "0123456789ab", "kind": "leak",
                     "reproducer": str(base / "old-repro")},
                    {"target": "other", "key": "ba9876543210", "kind": "leak",
                     "reproducer": "/nowhere"}]}))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        rc = triage.main(["--bin-dir", str(bin_dir), "--out", str(out), "--root", str(root),
                          "--minimize-runs", "2000", "--previous", str(prev), "demo", "calm"])
    _triaged = {"root": root, "out": out, "bin": bin_dir, "rc": rc, "prev": prev,
                "result": json.loads((out / "triage.json").read_text())}
    return _triaged


def fake_triage(out, root):
    """A triage.json as triage.py writes it, without running anything: two crash buckets (one
    with the long frames and input of a real mux_session report) and one fixed reproducer."""
    import fuzzlog
    report_text = (HERE / "data" / "mux_session-smuggled-1.txt").read_text()
    crash = fuzzlog.parse_crash(report_text, ["/work/wt-fuzzops"], "mux_session")
    data = bytes(range(256)) + b"GET / HTTP/1.1\r\nHost: a\r\n\r\n" * 4
    repro = Path(root) / "corpus" / "open" / "demo" / "30ad149a83a7-deadly-signal"
    write(repro, data)
    bucket = dict(crash, target="demo", key="30ad149a83a7", count=3, minimized=True,
                  artifacts=["crash-1", "crash-2", "crash-3"], original="crash-1",
                  reproducer=str(repro), size=len(data), hex=fuzzlog.hex_preview(data),
                  repro_cmd=f"build/fuzz/fuzz/demo_fuzzer {repro.relative_to(root)}",
                  seed_cmd=triage.seed_command("demo", repro, Path(root)))
    overflow = fuzzlog.parse_crash((HERE / "data" / "asan-heap-buffer-overflow.txt").read_text(),
                                   ["/tmp/fo-samples"], "calm")
    second = dict(overflow, target="calm", key="07eb7ca17997", count=1, minimized=False,
                  artifacts=["crash-9"], original="crash-9", reproducer=str(repro), size=2,
                  hex=fuzzlog.hex_preview(b"!H"), repro_cmd="build/fuzz/fuzz/calm_fuzzer x",
                  seed_cmd=triage.seed_command("calm", repro, Path(root)))
    fixed = {"target": "demo", "file": str(repro.parent / "old"), "status": "fixed", "key": "",
             "kind": "", "seed_cmd": triage.seed_command("demo", repro.parent / "old", Path(root))}
    write(out / "triage.json", json.dumps({"buckets": [bucket, second], "unreproduced": [],
                                           "open_checked": [fixed], "previous_checked": []}))
