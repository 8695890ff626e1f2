"""Parsers for what libFuzzer and the sanitizers print: status lines, final stats, crash reports.

Used by triage.py (bucketing crashes by their symbolised stack) and report.py. Pure functions over
text, so the tests feed them reports captured from real runs.
"""
import hashlib
import os
import re

# "#1234\tNEW    cov: 56 ft: 78 corp: 9/1b exec/s: 100 rss: 30Mb"; fork mode's parent prints
# "#5087: cov: 1736 ft: 1736 corp: 399 exec/s 2543 oom/timeout/crash: 0/0/0 time: 4s job: 1".
_STATUS = re.compile(r"^#(\d+):?\s+(?:([A-Za-z]+)\s+)?(cov: .*)$")
_FIELD = re.compile(r"\b(cov|ft|corp|exec/s|rss|time|job|units):? (\d+)")
_FRAME = re.compile(r"^\s*#(\d+) 0x[0-9a-f]+ in (.*)$")
# The frame's location is its last token: "/path/file.cc:12:3" when symbolised, else
# "(/path/binary+0x1234)"; a function name may itself contain spaces ('lambda', templates).
_LOCATION = re.compile(r"^(.*?) ([\w./-]+:\d+(?::\d+)?|/\S+|\(\S+\+0x[0-9a-f]+\))$")
_ERROR = re.compile(r"==\d+==\s?ERROR: (\w+): (.*)$")
_UBSAN = re.compile(r"^(\S+?:\d+:\d+): runtime error: (.*)$")


def status_lines(text):
    """Yields dicts {execs, event, cov, ft, corp, exec_s, rss, time, job} for every libFuzzer
    status line; event is INITED, NEW, REDUCE, pulse, DONE..., or FORK for fork mode's parent.
    Fields the line lacks are absent."""
    for line in text.splitlines():
        m = _STATUS.match(line)
        if not m:
            continue
        d = {"execs": int(m.group(1)), "event": m.group(2) or "FORK"}
        for name, value in _FIELD.findall(m.group(3)):
            d[{"exec/s": "exec_s", "corp": "corp"}.get(name, name)] = int(value)
        yield d


def final_stats(text):
    """The stat::NAME: VALUE lines of -print_final_stats=1 as {NAME: int}."""
    out = {}
    for m in re.finditer(r"^stat::(\w+):\s*(\d+)", text, re.M):
        out[m.group(1)] = int(m.group(2))
    return out


# Frames that say nothing about the bug: libFuzzer's driver, the sanitizer runtimes and their
# interceptors, libc's abort path and the program entry.
_NOISE_FUNC = re.compile(
    r"^(fuzzer::|__sanitizer|__asan|__ubsan|__lsan|__interceptor_|___interceptor_|__GI_|"
    r"__libc_|__pthread_kill|pthread_kill|raise$|abort$|gsignal$|_start$|main$|"
    r"LLVMFuzzerTestOneInput$|std::terminate|__cxa_|__clang_call_terminate|"
    r"operator new|operator delete|malloc$|calloc$|realloc$|free$)")
_NOISE_PATH = re.compile(r"(compiler-rt|libFuzzer|/libc\.so|/libc-|libclang_rt|/sanitizer_common/)")


def short_function(func):
    """A frame's function without its parameter list and template arguments, so a bucket survives
    signature changes: 'ns::A<int>::f(char const*) const' -> 'ns::A::f'."""
    out, depth = [], 0
    for i, ch in enumerate(func):
        if ch == "(" and depth == 0 and not func.startswith("(anonymous", i):
            break
        if ch == "<":
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out).strip() or func


def _relative(path, roots):
    path = os.path.normpath(path)
    for r in roots:
        r = os.path.normpath(r) if r else ""
        if r and path.startswith(r + "/"):
            return path[len(r) + 1:]
    return path


def parse_frame(line, roots=()):
    """One stack frame line -> {func, short, location} (location file:line, relative to a root
    when under one; '(binary+0x..)' when not symbolised), or None for a line that is not a frame
    or has no function name."""
    m = _FRAME.match(line)
    if not m:
        return None
    rest = re.sub(r" \(BuildId: [0-9a-f]+\)$", "", m.group(2).strip())
    loc = ""
    lm = _LOCATION.match(rest)
    if lm:
        rest, loc = lm.group(1).strip(), lm.group(2)
    if not loc.startswith("("):
        loc = _relative(re.sub(r":(\d+):\d+$", r":\1", loc), roots)
    return {"func": rest, "short": short_function(rest), "location": loc}


def _is_noise(frame):
    return bool(_NOISE_FUNC.search(frame["func"]) or _NOISE_PATH.search(frame["location"]))


_BOILERPLATE = ("INFO:", "Running:", "Executed", "MS:", "#", "==", "base unit", "0x", "\\x",
                "artifact_prefix", "Test unit written", "NOTE:", "Combine libFuzzer", "SUMMARY:")


def parse_crash(text, roots=(), target=""):
    """Parses one failing run's output (libFuzzer + sanitizer report). Returns a dict:
      kind     'heap-use-after-free', 'deadly signal', 'timeout', 'out-of-memory', 'leak',
               'undefined: signed integer overflow', ... ('unknown' when no report is found)
      summary  the sanitizer's SUMMARY/ERROR line
      reason   one line saying why: the target's own verdict when it printed one (a line naming
               the target or an oracle), else the summary
      message  the last (up to 12) lines the target printed before the report
      frames   [{func, short, location}] of the first stack, noise frames removed
    """
    lines = text.splitlines()
    kind, summary, start = "unknown", "", None
    for i, line in enumerate(lines):
        m = _ERROR.search(line)
        u = _UBSAN.match(line)
        if m:
            tool, what = m.group(1), m.group(2).strip()
            if tool == "LeakSanitizer":
                kind = "leak"
            elif tool == "libFuzzer":
                kind = re.sub(r" (after|\().*$", "", what)
            else:
                kind = what.split(" on ")[0].split(" at ")[0].split(" (")[0].strip()
            summary, start = line.split("ERROR: ", 1)[1].strip(), i
            break
        if u:
            kind = "undefined: " + re.sub(r"\d+", "N", re.sub(r"[:;(].*$", "", u.group(2))).strip()
            summary, start = "runtime error: " + u.group(2).strip(), i
            break
    if start is None:
        return {"kind": kind, "summary": "", "reason": "", "message": [], "frames": []}
    for line in lines[start:]:
        if line.startswith("SUMMARY: ") and kind != "deadly signal":
            summary = line[len("SUMMARY: "):].strip()
            break
    message = []
    for line in reversed(lines[:start]):
        if line.startswith(("Running:", "INFO:")) or len(message) == 12:
            break
        if line.strip() and not line.lstrip().startswith(_BOILERPLATE):
            message.insert(0, line.rstrip()[:200])
    verdicts = [x for x in message if (target and x.startswith(target)) or "oracle" in x
                or "violated" in x]
    reason = verdicts[-1].strip() if verdicts else summary
    frames = []
    for line in lines[start:]:
        f = parse_frame(line, roots)
        if f is None:
            if frames and not line.strip():
                break  # the first stack ended (use-after-free reports a second and a third)
            continue
        if not _is_noise(f):
            frames.append(f)
    return {"kind": kind, "summary": summary, "reason": reason, "message": message,
            "frames": frames}


def bucket_key(target, crash, depth=3):
    """Crashes with the same target, kind and top `depth` project frames (function names only, so
    the key survives line-number changes between runs) share a 12-hex-digit bucket key. Frames in
    system headers are skipped for the key: the bug is in the caller."""
    own = [f["short"] for f in crash["frames"] if not f["location"].startswith("/usr/")]
    parts = [target, crash["kind"]] + own[:depth]
    if not own:  # no symbolised project frame: fall back on what the target said
        parts += [re.sub(r"\d+", "N", m) for m in crash["message"][:1]]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def slug(text, limit=40):
    """A file-name-safe slug: 'heap-use-after-free' -> 'heap-use-after-free'."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].rstrip("-") or "crash"


def hex_preview(data, limit=256):
    """An xxd-style preview of the first `limit` bytes: offset, 16 hex bytes, printable ASCII."""
    rows = []
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off:off + 16]
        hexpart = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append(f"{off:08x}  {hexpart:<47}  {text}")
    if len(data) > limit:
        rows.append(f"... {len(data) - limit} more bytes")
    return "\n".join(rows)
