#!/usr/bin/env python3
"""End-to-end test of triage.py with a real libFuzzer target (demo_fuzzer.cc, built here):
crashes are bucketed by stack, each bucket's input minimised and copied into corpus/open/<target>/,
inputs that no longer fail are told apart, and reproducers that pass now are reported fixed with
their regression-seed command."""
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import fixture  # noqa: E402


class Triage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        run = fixture.triaged_run()
        cls.root, cls.out, cls.rc, cls.result = run["root"], run["out"], run["rc"], run["result"]
        cls.buckets = {b["kind"]: b for b in cls.result["buckets"]}

    def test_exit_status_says_something_reproduced(self):
        self.assertEqual(self.rc, 1)

    def test_crashes_bucketed_by_stack(self):
        self.assertEqual(sorted(self.buckets), ["deadly signal", "heap-buffer-overflow"])
        overflow = self.buckets["heap-buffer-overflow"]
        self.assertEqual(overflow["count"], 2)
        self.assertEqual(overflow["frames"][0]["short"], "demo::read_past")
        self.assertTrue(overflow["frames"][0]["location"].endswith("test/demo_fuzzer.cc:12"),
                        overflow["frames"][0]["location"])
        self.assertEqual(self.buckets["deadly signal"]["reason"],
                         "demo: oracle violated: two framings")

    def test_reproducer_minimised_into_the_open_folder(self):
        overflow = self.buckets["heap-buffer-overflow"]
        repro = Path(overflow["reproducer"])
        self.assertEqual(repro.parent, self.root / "corpus" / "open" / "demo")
        self.assertEqual(repro.name, f"{overflow['key']}-heap-buffer-overflow")
        self.assertTrue(overflow["minimized"])
        self.assertEqual(repro.read_bytes(), b"!H")  # from "!Hyy", the smaller of the two
        self.assertEqual(overflow["repro_cmd"],
                         f"build/demo_fuzzer corpus/open/demo/{repro.name}")
        self.assertIn("00000000  21 48", overflow["hex"])

    def test_regression_seed_command(self):
        name = Path(self.buckets["deadly signal"]["reproducer"]).name
        self.assertEqual(self.buckets["deadly signal"]["seed_cmd"],
                         f"mkdir -p corpus/regressions/demo && mv corpus/open/demo/{name} "
                         f"corpus/regressions/demo/{name} && git add -A corpus/open/demo "
                         "corpus/regressions/demo && ctest --preset release -R '^fuzz_replay_demo$'")

    def test_input_that_no_longer_fails_is_not_a_bucket(self):
        self.assertEqual([Path(u["artifact"]).name for u in self.result["unreproduced"]],
                         ["timeout-0004"])

    def test_open_reproducers_rechecked(self):
        by_name = {Path(e["file"]).name: e for e in self.result["open_checked"]}
        self.assertEqual(sorted(by_name), ["still-failing", "was-fixed-last-week"])
        self.assertEqual(by_name["was-fixed-last-week"]["status"], "fixed")
        self.assertIn("corpus/regressions/demo/was-fixed-last-week",
                      by_name["was-fixed-last-week"]["seed_cmd"])
        self.assertEqual(by_name["still-failing"]["status"], "open (hit this run)")

    def test_previous_report_buckets_rechecked(self):
        self.assertEqual([(e["key"], e["status"]) for e in self.result["previous_checked"]],
                         [("0123456789ab", "fixed")])


if __name__ == "__main__":
    unittest.main()
