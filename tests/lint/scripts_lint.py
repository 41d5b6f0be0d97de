#!/usr/bin/env python3
"""The README's two commands keep their promises about building (README "Quick start"):
- scripts/demo.sh builds only presenced and fake_ably, in build/, with build.sh's standard flags, and
  installs only the demo's packages; scripts/test.sh builds build/ with the same standard flags (so
  nothing the demo compiled is compiled again) and .ci/run runs exactly scripts/test.sh;
- the demo's package list has none of the test-only packages;
- every stage of scripts/test.sh has an estimate, so that each prints its expected time.

Usage: scripts_lint.py SOURCE_DIR; prints each problem and exits 1."""

import re
import sys


def main():
    root = sys.argv[1]
    read = lambda path: open(f"{root}/{path}").read()
    demo, test, build, deps, ci = (read("scripts/demo.sh"), read("scripts/test.sh"),
                                   read("scripts/build.sh"), read("scripts/install-deps.sh"),
                                   read(".ci/run"))
    problems = []
    if 'build_dir=${PRESENCED_DEMO_BUILD_DIR:-build}' not in demo:
        problems.append("demo.sh does not build in build/")
    if not re.search(r'^  scripts/build.sh --targets "presenced fake_ably" --progress \S+ \\\n +"\$build_dir" &$',
                     demo, re.M):
        problems.append("demo.sh does not build exactly presenced and fake_ably with the standard flags")
    if "scripts/install-deps.sh --demo" not in demo:
        problems.append("demo.sh installs more than the demo's packages")
    if not re.search(r"^scripts/build.sh$", test, re.M):
        problems.append("test.sh does not build build/ with the standard flags (a bare scripts/build.sh)")
    if 'if [ "$dir" = build ] && [ ${#flags[@]} -eq 0 ]; then flags=("${standard_flags[@]}"); fi' \
            not in build:
        problems.append("build.sh no longer gives build/ its standard flags")
    estimates = re.search(r"declare -A estimate=\(([^)]*)\)", test)
    known = set(re.findall(r"\[([a-z-]+)\]=\d+", estimates.group(1))) if estimates else set()
    for key in re.findall(r'^stage ([a-z-]+) "', test, re.M):
        if key != "done" and key not in known:
            problems.append(f"test.sh's stage {key} has no estimate to print before it runs")
    if not re.search(r"^exec scripts/test.sh$", ci, re.M):
        problems.append(".ci/run does not run exactly scripts/test.sh")
    demo_list = re.search(r"demo_packages=\(([^)]*)\)", deps).group(1).split()
    for test_only in ("chromium", "podman", "lintian", "prometheus", "clang", "debootstrap"):
        if test_only in demo_list:
            problems.append(f"the demo installs the test-only package {test_only}")
    for problem in problems:
        print(f"scripts_lint: {problem}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
