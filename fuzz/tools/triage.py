#!/usr/bin/env python3
"""Triage of a fuzzing run: what a human would otherwise do with a folder of crash files.

For every target: re-runs each crash/timeout/oom/leak artifact libFuzzer wrote, buckets them by
kind and symbolised top frames (fuzzlog.bucket_key), minimises one input per bucket (libFuzzer
-minimize_crash, checking the result still lands in the same bucket), copies it into
<open-dir>/<target>/<key>-<kind> and prints the command that reproduces it and the one that turns
it into a regression seed once fixed. It also re-runs the reproducers already in <open-dir> and
those of a previous run's report: any that pass now are listed as fixed.

Usage: triage.py --bin-dir DIR --out OUT [--open-dir DIR] [--previous REPORT_JSON] [--root DIR]
                 [--timeout S] [--rss-limit-mb MB] [--minimize-runs N] [--minimize-seconds S]
                 TARGET...
  --bin-dir   where <target>_fuzzer binaries are (e.g. build/fuzz/fuzz)
  --out       the run's output directory: reads OUT/<target>/crashes/, writes OUT/triage.json
  --open-dir  where bucket reproducers go (default: ROOT/corpus/open; '' to copy nowhere)
Exit status: 0 when no bucket reproduces, 1 when at least one does, 2 on usage errors.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fuzzlog  # noqa: E402

ARTIFACT_PREFIXES = ("crash-", "timeout-", "oom-", "leak-", "minimized-from-")


def find_symbolizer():
    """llvm-symbolizer for the sanitizers' stack traces: $ASAN_SYMBOLIZER_PATH, else on PATH, else
    the newest /usr/lib/llvm-*/bin/llvm-symbolizer (Debian installs versioned copies only)."""
    found = os.environ.get("ASAN_SYMBOLIZER_PATH") or shutil.which("llvm-symbolizer")
    if found:
        return found
    versions = sorted(glob.glob("/usr/lib/llvm-*/bin/llvm-symbolizer"),
                      key=lambda p: int(p.split("llvm-")[1].split("/")[0]))
    return versions[-1] if versions else ""


class Runner:
    """Runs one input through a target binary the way the fuzzing did (same timeout, RSS limit),
    with symbolised stacks."""

    def __init__(self, bin_dir, timeout, rss_limit_mb, roots):
        self.bin_dir, self.timeout, self.rss, self.roots = Path(bin_dir), timeout, rss_limit_mb, roots
        self.symbolizer = find_symbolizer()

    def binary(self, target):
        return self.bin_dir / f"{target}_fuzzer"

    def run(self, target, path, extra=(), budget=None, symbolize=True):
        cmd = [str(self.binary(target)), f"-timeout={self.timeout}", f"-rss_limit_mb={self.rss}",
               *extra, str(path)]
        env = dict(os.environ)
        if self.symbolizer:
            env["ASAN_SYMBOLIZER_PATH"] = self.symbolizer
        if not symbolize:  # minimisation steps only need to know that it still fails
            env["ASAN_OPTIONS"] = ":".join(x for x in (env.get("ASAN_OPTIONS"), "symbolize=0") if x)
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               timeout=budget or self.timeout * 3 + 30)
            return p.returncode, p.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace")
            return -9, out + "\n==0== ERROR: libFuzzer: timeout (killed by triage)\n"

    def classify(self, target, path):
        """None when the input runs clean, else the parsed crash with its bucket key."""
        rc, out = self.run(target, path)
        if rc == 0:
            return None
        crash = fuzzlog.parse_crash(out, self.roots, target)
        crash["key"] = fuzzlog.bucket_key(target, crash)
        crash["exit"] = rc
        return crash

    def minimize(self, target, path, crash, dest, runs, seconds):
        """Minimises `path` into `dest` (libFuzzer -minimize_crash: each step tries `runs`
        mutations for a smaller failing input; all steps within `seconds`); keeps the original
        when the minimised input no longer lands in the same bucket (minimisation may slide to
        another bug). Timeouts are not minimised: each step would wait out the timeout."""
        with tempfile.TemporaryDirectory() as tmp:
            cand = Path(tmp) / "min"
            if crash["kind"] != "timeout":
                self.run(target, path, ["-minimize_crash=1", f"-runs={runs}",
                                        f"-exact_artifact_path={cand}"], budget=seconds,
                         symbolize=False)
            if cand.is_file() and cand.stat().st_size < path.stat().st_size:
                again = self.classify(target, cand)
                if again and again["key"] == crash["key"]:
                    shutil.copyfile(cand, dest)
                    return True
        shutil.copyfile(path, dest)
        return False


def rel(path, root):
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def seed_command(target, repro, root):
    """The command that turns a fixed bug's reproducer into a regression seed replayed by ctest."""
    r = rel(repro, root)
    return (f"mkdir -p corpus/regressions/{target} && mv {r} corpus/regressions/{target}/"
            f"{Path(r).name} && git add -A {Path(r).parent} corpus/regressions/{target} && "
            f"ctest --preset release -R '^fuzz_replay_{target}$'")


def triage_target(runner, target, out, open_dir, root, minimize, log):
    crashes = sorted(p for p in (out / target / "crashes").glob("*")
                     if p.is_file() and p.name.startswith(ARTIFACT_PREFIXES))
    buckets, unreproduced = {}, []
    for p in crashes:
        crash = runner.classify(target, p)
        if crash is None:
            unreproduced.append({"target": target, "artifact": str(p)})
            continue
        b = buckets.setdefault(crash["key"], dict(crash, target=target, artifacts=[]))
        b["artifacts"].append(str(p))
    for key, b in buckets.items():
        smallest = min((Path(a) for a in b["artifacts"]), key=lambda a: a.stat().st_size)
        mindir = out / target / "minimized"
        mindir.mkdir(parents=True, exist_ok=True)
        name = f"{key}-{fuzzlog.slug(b['kind'])}"
        log(f"  {target}: bucket {key} ({b['kind']}, {len(b['artifacts'])} inputs): minimising")
        b["minimized"] = runner.minimize(target, smallest, b, mindir / name, *minimize)
        repro = mindir / name
        if open_dir:
            (open_dir / target).mkdir(parents=True, exist_ok=True)
            dest = open_dir / target / name
            if not dest.exists() or dest.stat().st_size > repro.stat().st_size:
                shutil.copyfile(repro, dest)
            repro = dest
        data = repro.read_bytes()
        b.update(count=len(b["artifacts"]), original=str(smallest), reproducer=str(repro),
                 size=len(data), hex=fuzzlog.hex_preview(data),
                 repro_cmd=f"{rel(runner.binary(target), root)} {rel(repro, root)}",
                 seed_cmd=seed_command(target, repro, root))
    return list(buckets.values()), unreproduced


def recheck_open(runner, targets, open_dir, root, current_keys, skip):
    """Re-runs every reproducer already in the open folder for the fuzzed targets (but those in
    `skip`, this run's own)."""
    out = []
    for t in targets:
        for p in sorted((open_dir / t).glob("*")) if open_dir and (open_dir / t).is_dir() else []:
            if not p.is_file() or p.name.startswith("README") or str(p) in skip:
                continue
            crash = runner.classify(t, p)
            entry = {"target": t, "file": str(p), "status": "open" if crash else "fixed",
                     "key": crash["key"] if crash else "", "kind": crash["kind"] if crash else ""}
            if crash is None:
                entry["seed_cmd"] = seed_command(t, p, root)
            elif crash["key"] in current_keys:
                entry["status"] = "open (hit this run)"
            out.append(entry)
    return out


def recheck_previous(runner, previous, targets, current_keys):
    """Crash buckets of the previous report that this run did not hit: fixed or still failing?"""
    out = []
    for b in previous.get("crashes", []):
        if b["target"] not in targets or b["key"] in current_keys:
            continue
        repro = Path(b.get("reproducer", ""))
        if not repro.is_file() or not runner.binary(b["target"]).exists():
            status = "not rechecked (reproducer gone)"
        else:
            crash = runner.classify(b["target"], repro)
            status = "fixed" if crash is None else "still failing (not hit this run)"
        out.append({"target": b["target"], "key": b["key"], "kind": b.get("kind", ""),
                    "reproducer": str(repro), "status": status})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.split("\n")[2:]))
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[2]))
    ap.add_argument("--open-dir", default=None)
    ap.add_argument("--previous", default="")
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--rss-limit-mb", type=int, default=2048)
    ap.add_argument("--minimize-runs", type=int, default=5000)
    ap.add_argument("--minimize-seconds", type=int, default=300)
    ap.add_argument("targets", nargs="+")
    a = ap.parse_args(argv)
    root = Path(a.root).resolve()
    out = Path(a.out).resolve()
    open_dir = Path(a.open_dir).resolve() if a.open_dir else (
        root / "corpus" / "open" if a.open_dir is None else None)
    runner = Runner(a.bin_dir, a.timeout, a.rss_limit_mb, [str(root)])
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    buckets, unreproduced = [], []
    for t in a.targets:
        if not runner.binary(t).exists():
            log(f"triage: no binary for {t} in {a.bin_dir}")
            return 2
        b, u = triage_target(runner, t, out, open_dir, root,
                             (a.minimize_runs, a.minimize_seconds), log)
        buckets += b
        unreproduced += u
    keys = {b["key"] for b in buckets}
    new_files = {b["reproducer"] for b in buckets}
    open_checked = recheck_open(runner, a.targets, open_dir, root, keys, new_files)
    previous = {}
    if a.previous and os.path.isfile(a.previous):
        with open(a.previous) as f:
            previous = json.load(f)
    prev_checked = recheck_previous(runner, previous, set(a.targets), keys)
    result = {"buckets": buckets, "unreproduced": unreproduced, "open_checked": open_checked,
              "previous_checked": prev_checked}
    (out / "triage.json").write_text(json.dumps(result, indent=1))
    for b in buckets:
        print(f"{b['target']} {b['key']} {b['kind']}: {b['count']} input(s)\n"
              f"  reproduce:         {b['repro_cmd']}\n  once fixed, seed:  {b['seed_cmd']}")
    for e in open_checked + prev_checked:
        if e["status"] == "fixed":
            print(f"fixed: {e['target']} {e.get('file') or e.get('reproducer')}"
                  + (f"\n  seed: {e['seed_cmd']}" if e.get("seed_cmd") else ""))
    return 1 if buckets else 0


if __name__ == "__main__":
    sys.exit(main())
