#!/usr/bin/env python3
"""Unit tests of fuzzlog.py on reports captured from real runs (test/data/): libFuzzer status
lines in both modes, each failure kind the sanitizers and libFuzzer report, and the bucket keys
that triage groups crashes by."""
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import fuzzlog  # noqa: E402

DEMO_ROOT = "/tmp/fo-samples"  # where the demo target of the captured reports was built
REPO_ROOT = "/work/wt-fuzzops"  # where the mux_session reports were captured


def sample(name):
    return (HERE / "data" / name).read_text()


def crash(name, root=DEMO_ROOT, target=""):
    return fuzzlog.parse_crash(sample(name), [root], target)


class StatusLines(unittest.TestCase):
    def test_plain_mode(self):
        s = list(fuzzlog.status_lines(sample("libfuzzer-plain.txt")))
        self.assertEqual(s[0], {"execs": 841, "event": "INITED", "cov": 1007, "ft": 3594,
                                "corp": 781, "exec_s": 841, "rss": 56})
        self.assertEqual([x["event"] for x in s], ["INITED", "NEW", "REDUCE", "REDUCE"])
        self.assertEqual(fuzzlog.final_stats(sample("libfuzzer-plain.txt"))
                         ["number_of_executed_units"], 5655)

    def test_fork_mode_parent(self):
        s = list(fuzzlog.status_lines(sample("libfuzzer-fork.txt")))
        self.assertEqual(len(s), 3)
        self.assertEqual(s[-1], {"execs": 27500, "event": "FORK", "cov": 1736, "ft": 1736,
                                 "corp": 399, "exec_s": 3471, "time": 12, "job": 3})


class ParseCrash(unittest.TestCase):
    def test_asan_report_names_the_bug_and_the_faulting_frame(self):
        c = crash("asan-heap-buffer-overflow.txt")
        self.assertEqual(c["kind"], "heap-buffer-overflow")
        self.assertTrue(c["summary"].startswith("AddressSanitizer: heap-buffer-overflow"))
        self.assertEqual(c["frames"][0]["short"], "demo::overflow")
        self.assertEqual(c["frames"][0]["location"], "bugs.cc:7")
        # only the first stack (the access), not the allocation stack that follows
        self.assertEqual(len(c["frames"]), 1)

    def test_ubsan_kind_without_the_values(self):
        c = crash("ubsan-shift.txt")
        self.assertEqual(c["kind"], "undefined: shift exponent N is too large for N-bit type 'int'")
        self.assertEqual(c["frames"][0]["short"], "demo::shift")

    def test_timeout_leak_and_oom_skip_runtime_frames(self):
        for name, kind, func in (("timeout.txt", "timeout", "demo::spin"),
                                 ("leak.txt", "leak", "demo::leak"),
                                 ("oom.txt", "out-of-memory", "demo::hog")):
            c = crash(name)
            self.assertEqual(c["kind"], kind, name)
            self.assertEqual(c["frames"][0]["short"], func, name)

    def test_oracle_abort_keeps_the_verdict(self):
        c = crash("oracle-abort.txt", target="demo")
        self.assertEqual(c["kind"], "deadly signal")
        self.assertEqual(c["reason"], "demo: oracle violated: two framings")
        self.assertEqual([f["short"] for f in c["frames"]], ["demo::verdict"])

    def test_mux_session_frames_relative_to_the_repository(self):
        c = crash("mux_session-hang.txt", REPO_ROOT, "mux_session")
        self.assertEqual(c["reason"],
                         "mux_session oracle violated: a client session never ended (hang)")
        self.assertEqual(c["frames"][0]["location"], "fuzz/mux/session_oracle.h:38")
        self.assertEqual(c["frames"][1]["short"], "(anonymous namespace)::Harness::wind_down")
        self.assertEqual(c["message"][0].split(":")[0], "session")

    def test_text_without_a_report(self):
        self.assertEqual(fuzzlog.parse_crash("INFO: nothing\nDone 5 runs\n")["kind"], "unknown")


class Buckets(unittest.TestCase):
    def key(self, name, text=None):
        c = fuzzlog.parse_crash(text or sample(name), [REPO_ROOT], "mux_session")
        return fuzzlog.bucket_key("mux_session", c)

    def test_same_stack_same_bucket(self):
        self.assertEqual(self.key("mux_session-smuggled-1.txt"),
                         self.key("mux_session-smuggled-2.txt"))

    def test_different_oracle_different_bucket(self):
        self.assertNotEqual(self.key("mux_session-smuggled-1.txt"), self.key("mux_session-hang.txt"))

    def test_bucket_survives_line_number_changes(self):
        moved = sample("mux_session-hang.txt").replace("session_oracle.h:38:3",
                                                       "session_oracle.h:41:5")
        self.assertEqual(self.key("x", moved), self.key("mux_session-hang.txt"))

    def test_target_is_part_of_the_key(self):
        c = crash("asan-heap-buffer-overflow.txt")
        self.assertNotEqual(fuzzlog.bucket_key("a", c), fuzzlog.bucket_key("b", c))


class Helpers(unittest.TestCase):
    def test_short_function(self):
        self.assertEqual(fuzzlog.short_function("ns::A<int, B<c>>::f(char const*) const"), "ns::A::f")
        self.assertEqual(fuzzlog.short_function("(anonymous namespace)::Harness::run()"),
                         "(anonymous namespace)::Harness::run")

    def test_hex_preview(self):
        p = fuzzlog.hex_preview(b"GET / HTTP/1.1\r\n\x00\xff" + b"x" * 300, limit=32)
        first = p.splitlines()[0]
        self.assertEqual(first, "00000000  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a  "
                                "GET / HTTP/1.1..")
        self.assertTrue(p.splitlines()[1].startswith("00000010  00 ff 78"))
        self.assertEqual(p.splitlines()[-1], "... 286 more bytes")

    def test_slug(self):
        self.assertEqual(fuzzlog.slug("undefined: shift exponent N is too large"),
                         "undefined-shift-exponent-n-is-too-large")


if __name__ == "__main__":
    unittest.main()
