#!/usr/bin/env python3
"""scripts/fuzz_ci.sh end to end with the demo target (a libFuzzer binary with known bugs): when a
target fails, the script exits 1 and names the failure, the reproducer file (which must exist and
reproduce) and the command that replays it; a target that runs clean passes."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
import fixture  # noqa: E402


class FuzzCi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        base = Path(cls.tmp.name)
        # A configured (empty) CMake build holding the demo binaries, as CROSSMUX_FUZZ_BUILD_DIR.
        (base / "project").mkdir()
        (base / "project" / "CMakeLists.txt").write_text("project(demo NONE)\n")
        cls.build = base / "build"
        subprocess.run(["cmake", "-S", base / "project", "-B", cls.build, "-G", "Ninja"],
                       check=True, capture_output=True)
        fixture.build_demo(cls.build / "fuzz", ["demo"])
        # The same binary as a second target, run with inputs too short to reach either bug.
        shutil.copy(cls.build / "fuzz" / "demo_fuzzer", cls.build / "fuzz" / "tiny_fuzzer")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def fuzz_ci(self, out, *args, extra_env=None):
        env = dict(os.environ, CROSSMUX_FUZZ_BUILD_DIR=str(self.build), CROSSMUX_FUZZ_OUT=str(out),
                   **(extra_env or {}))
        return subprocess.run(["bash", "scripts/fuzz_ci.sh", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)

    def test_failure_names_the_reproducer(self):
        out = Path(self.tmp.name) / "out-fail"
        p = self.fuzz_ci(out, "30", "demo")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("==== demo FAILED", p.stderr)
        self.assertRegex(p.stderr, r"SUMMARY: (AddressSanitizer: heap-buffer-overflow|libFuzzer: "
                                   r"deadly signal)")
        repro = [line.split(": ", 1)[1] for line in p.stderr.splitlines()
                 if line.startswith("reproducer: ")]
        self.assertEqual(len(repro), 1, p.stderr)
        self.assertTrue(Path(repro[0]).is_file(), repro[0])
        self.assertIn(f"reproduce:  {self.build}/fuzz/demo_fuzzer {repro[0]}", p.stderr)
        again = subprocess.run([str(self.build / "fuzz" / "demo_fuzzer"), repro[0]],
                               capture_output=True)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("fuzz_ci: 1 target(s) failed: demo", p.stderr)

    def test_clean_target_passes(self):
        out = Path(self.tmp.name) / "out-clean"
        # -max_len=1 cannot hold the two bytes either bug needs.
        p = self.fuzz_ci(out, "2", "tiny", extra_env={"CROSSMUX_FUZZ_FLAGS": "-max_len=1"})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"tiny\s+2s\s+\d+\s+\d+\s+\d+\s+ok")
        self.assertIn("fuzz_ci: all 1 targets clean", p.stdout)


if __name__ == "__main__":
    unittest.main()
