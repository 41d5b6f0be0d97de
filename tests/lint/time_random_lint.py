#!/usr/bin/env python3
"""Fails when daemon code reads the system clocks, sleeps, or draws chance on its own.

Time comes from Clock (daemon/common/clock.h: NowMs, SteadyNow, WaitUntil, SleepUntil) and chance
from Random (daemon/common/random.h), both injected, so tests drive them (tests/fakes/fake_clock.h,
a seeded or scripted Random) instead of waiting in real time (STYLE §4). A file may use a
forbidden name only when ALLOWED below names it, with the reason. An ALLOWED entry that no longer
matches anything fails too, so the list never keeps a stale exemption.

Comments are ignored; string literals are not.

Usage: time_random_lint.py SOURCE_DIR
"""
import pathlib
import re
import sys

FORBIDDEN = {
    "sleep_for": re.compile(r"\bsleep_for\b"),
    "sleep_until": re.compile(r"\bthis_thread::sleep_until\b"),
    "steady_clock::now": re.compile(r"\bsteady_clock::now\b"),
    "system_clock::now": re.compile(r"\bsystem_clock::now\b"),
    "high_resolution_clock::now": re.compile(r"\bhigh_resolution_clock::now\b"),
    "random_device": re.compile(r"\brandom_device\b"),
    "mt19937": re.compile(r"\bmt19937(_64)?\b"),
    "rand(": re.compile(r"(?<![\w.>:])s?rand\s*\("),
}

ANY = frozenset(FORBIDDEN)

# daemon-relative path -> (the names it may use, why).
ALLOWED = {
    "common/clock.h": (
        frozenset({"steady_clock::now", "system_clock::now", "sleep_until"}),
        "SystemClock: the one production reader of the system clocks and the one sleeper"),
    "common/random.h": (
        frozenset({"mt19937"}),
        "SeededRandom: the one production random engine"),
    "service/cli.cc": (
        frozenset({"random_device"}),
        "the process's edge: seeds SeededRandom once from the OS's entropy at start"),
    "net/poco_http_client.cc": (
        frozenset({"steady_clock::now"}),
        "real I/O edge: deadlines of Poco socket calls, which time out in real time"),
    "config/contained.cc": (
        frozenset({"steady_clock::now"}),
        "real I/O edge: the time bound of the contained config-parser child process"),
}

TOKENS = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/', re.DOTALL)


def strip_comments(text: str) -> str:
    """Blanks comments, keeping string literals and line numbers."""
    def blank(match: re.Match) -> str:
        token = match.group(0)
        if token.startswith(("//", "/*")):
            return re.sub(r"[^\n]", " ", token)
        return token
    return TOKENS.sub(blank, text)


def main(source_dir: str) -> int:
    daemon = pathlib.Path(source_dir) / "daemon"
    problems = []
    used = {path: set() for path in ALLOWED}
    for path in sorted(daemon.rglob("*")):
        if path.suffix not in (".h", ".cc", ".in"):
            continue
        relative = path.relative_to(daemon).as_posix()
        allowed = ALLOWED.get(relative, (frozenset(), ""))[0]
        code = strip_comments(path.read_text())
        for number, line in enumerate(code.splitlines(), start=1):
            for name, pattern in FORBIDDEN.items():
                if not pattern.search(line):
                    continue
                if name in allowed:
                    used[relative].add(name)
                    continue
                problems.append(
                    f"daemon/{relative}:{number}: {name}: use the injected Clock (time, sleeps) "
                    f"or Random (chance), or add the file to ALLOWED with the reason")
    for relative, (names, reason) in ALLOWED.items():
        if not (daemon / relative).exists():
            problems.append(f"ALLOWED names daemon/{relative}, which does not exist")
        elif not used[relative]:
            problems.append(f"ALLOWED exempts daemon/{relative} ({reason}), which no longer "
                            f"uses any forbidden name: remove the entry")
    for problem in problems:
        print(problem)
    print(f"time/random lint: {len(problems)} problem(s); allowed: "
          + ", ".join(f"{path} ({reason})" for path, (_, reason) in ALLOWED.items()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
