#!/usr/bin/env python3
"""scripts/fuzz_overnight.sh end to end with the demo target built without its bugs, on a
pseudo-terminal: progress is redrawn on the terminal while the targets fuzz, the coverage build
is asked for the fuzzed targets only, and triage and the report run (crashes and their triage
are test_triage's and test_report's: finding and minimising them here would cost CI ~40 s).
cmake is a recording stand-in here: the fuzz build is the demo's, and the coverage build of the
real tree is recorded, not run (it would compile crossmux), so the coverage step fails and the
report says so."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
import fixture  # noqa: E402

SHIM = """#!/bin/bash
# Records every cmake call; the coverage build's are only recorded.
printf '%s\\n' "$*" >>"{log}"
case " $* " in *" {cov}"*) exit 0 ;; esac
exec "{cmake}" "$@"
"""


def run_on_pty(cmd, env, timeout):
    """Runs cmd with a pseudo-terminal as stdout and stderr; returns (exit status, output)."""
    master, slave = os.openpty()
    p = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=slave)
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO once every writer closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        rc = p.wait(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        reader.join(timeout=10)
        os.close(master)
    return rc, b"".join(chunks).decode("utf-8", "replace")


class Overnight(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        base = Path(cls.tmp.name)
        # A configured CMake build whose targets are the demo binaries (as CROSSMUX_FUZZ_BUILD_DIR).
        (base / "project").mkdir()
        (base / "project" / "CMakeLists.txt").write_text(
            "project(demo NONE)\nadd_custom_target(demo_fuzzer)\nadd_custom_target(calm_fuzzer)\n")
        build = base / "build"
        subprocess.run(["cmake", "-S", base / "project", "-B", build, "-G", "Ninja",
                        f"-DCMAKE_CXX_COMPILER={fixture.find_clang()}"],
                       check=True, capture_output=True)
        fixture.build_demo(build / "fuzz", ["demo", "calm", "idle"], clean=True)
        cls.cov, cls.log, cls.out = base / "cov", base / "cmake.log", base / "out"
        shim = base / "shim"
        shim.mkdir()
        (shim / "cmake").write_text(SHIM.format(log=cls.log, cov=cls.cov,
                                                cmake=shutil.which("cmake")))
        (shim / "cmake").chmod(0o755)
        env = dict(os.environ, PATH=f"{shim}:{os.environ['PATH']}", CROSSMUX_FUZZ_BUILD_DIR=str(build),
                   CROSSMUX_FUZZ_COV_DIR=str(cls.cov), CROSSMUX_JOBS="1", TERM="xterm")
        # Two of the three targets the build has; -n: reproducers stay in OUT, not corpus/open.
        cls.rc, cls.term = run_on_pty(
            ["bash", "scripts/fuzz_overnight.sh", "-t", "2", "-j", "2", "-o", str(cls.out),
             "-p", str(base / "no-previous-run"), "-n", "demo", "calm"], env, timeout=240)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_progress_is_redrawn_on_the_terminal(self):
        self.assertIn("fuzzing 2 targets", self.term)
        self.assertIn("\x1b[3A", self.term)  # back over the header and the two target rows
        rows = re.findall(r"\n\x1b\[K  (demo|calm) +(\d+) execs +(\d+) exec/s +cov +\d+ +ft",
                          self.term)
        self.assertEqual({r[0] for r in rows}, {"demo", "calm"}, self.term)
        # Figures of the running fuzzers, not just the empty first frame (no seeds, so no cov).
        self.assertTrue([r for r in rows if int(r[1]) > 0 and int(r[2]) > 0], self.term)

    def test_coverage_built_for_the_fuzzed_targets_only(self):
        calls = self.log.read_text().splitlines()
        cov_builds = [c for c in calls if c.startswith(f"--build {self.cov}")]
        self.assertEqual(len(cov_builds), 1, calls)
        self.assertEqual(re.findall(r"--target (\S+)", cov_builds[0]),
                         ["demo_fuzzer", "calm_fuzzer"])
        fuzz_builds = [c for c in calls if c.startswith("--build") and str(self.cov) not in c]
        self.assertEqual([re.findall(r"--target (\S+)", c) for c in fuzz_builds],
                         [["demo_fuzzer", "calm_fuzzer"]])

    def test_triaged_and_reported(self):
        self.assertEqual(self.rc, 0, self.term)
        self.assertTrue((self.out / "triage.json").is_file())
        html = (self.out / "report.html").read_text()
        self.assertIn('class="banner good"', html)
        self.assertEqual(re.findall(r"<h3>(\w+)</h3><svg", html), ["demo", "calm"])
        self.assertIn("coverage build or measurement failed", html)
        self.assertTrue((self.out / "report.md").is_file())
        self.assertTrue((self.out / "report.json").is_file())


if __name__ == "__main__":
    unittest.main()
