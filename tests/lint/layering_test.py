#!/usr/bin/env python3
"""Fails when a daemon folder includes a header of a folder above it in the layer order.

The order is the `# layers:` line at the top of daemon/CMakeLists.txt, lowest first. A file in
daemon/F/ may include "G/x.h" only when G is F or comes before F. daemon/main.cc may include
anything. Every folder under daemon/ must be in the list.

Usage: layering_test.py SOURCE_DIR
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"', re.MULTILINE)


def main(source_dir: str) -> int:
    daemon = pathlib.Path(source_dir) / "daemon"
    text = (daemon / "CMakeLists.txt").read_text()
    match = re.search(r"^# layers:(.*)$", text, re.MULTILINE)
    if not match:
        print("daemon/CMakeLists.txt has no '# layers:' line")
        return 1
    layers = match.group(1).split()
    rank = {name: i for i, name in enumerate(layers)}
    problems = []
    folders = sorted(p.name for p in daemon.iterdir() if p.is_dir())
    for folder in folders:
        if folder not in rank:
            problems.append(f"daemon/{folder}/ is not in the layer list")
    for path in sorted(daemon.rglob("*")):
        if path.suffix not in (".h", ".cc", ".in") or path.parent == daemon:
            continue
        folder = path.relative_to(daemon).parts[0]
        if folder not in rank:
            continue
        for target in INCLUDE.findall(path.read_text()):
            if target not in rank:
                continue  # a third-party or generated header
            if rank[target] > rank[folder]:
                problems.append(
                    f"{path.relative_to(source_dir)} includes {target}/ (layer {rank[target]}), "
                    f"above {folder}/ (layer {rank[folder]})")
    for problem in problems:
        print(problem)
    print(f"layering: {len(problems)} problem(s); order: {' < '.join(layers)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
