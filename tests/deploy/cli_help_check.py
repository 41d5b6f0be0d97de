#!/usr/bin/env python3
"""The README's command list and `presenced --help` name the same options: every `--option` in
the README's "Command line" block is in the help (which exits 0), and every option the help
prints is in the README.

Usage: cli_help_check.py PRESENCED README; prints each difference and exits 1."""

import re
import subprocess
import sys


def main():
    presenced, readme = sys.argv[1], open(sys.argv[2]).read()
    section = readme[readme.index("## Command line"):]
    block = section[section.index("```") + 3:]
    block = block[:block.index("```")]
    documented = set(re.findall(r"(--[a-z][a-z-]*)", block))
    run = subprocess.run([presenced, "--help"], capture_output=True, text=True, timeout=10)
    if run.returncode != 0:
        print(f"cli_help_check: presenced --help exited {run.returncode}: {run.stderr}")
        sys.exit(1)
    helped = set(re.findall(r"(--[a-z][a-z-]*)", run.stdout + run.stderr))
    problems = [f"{o} is in the README but not in --help" for o in sorted(documented - helped)]
    problems += [f"{o} is in --help but not in the README" for o in sorted(helped - documented)]
    for problem in problems:
        print(f"cli_help_check: {problem}")
    if not problems:
        print(f"cli_help_check: {len(documented)} options, the same in the README and --help")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
