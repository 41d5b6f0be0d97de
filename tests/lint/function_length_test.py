#!/usr/bin/env python3
"""Fails when a function defined in the given folders is longer than the limit.

Counts the lines from a definition's first line (a line at column 0 that opens a body with `{`)
to its closing `}` at column 0, both included, in clang-formatted .cc and .h files. Lambdas and
class bodies inside a function count towards the function.

Usage: function_length_test.py SOURCE_DIR MAX_LINES FOLDER...
"""
import pathlib
import re
import sys

SKIP = re.compile(r"^(namespace|class|struct|enum|union|extern|template\s*<[^>]*>\s*(class|struct))\b")


def long_functions(path: pathlib.Path, limit: int):
    lines = path.read_text().splitlines()
    start = None    # first line of the definition being measured
    pending = None  # a column-0 line that may begin a multi-line signature
    header = None
    for number, line in enumerate(lines, 1):
        if start is None:
            stripped = line.rstrip()
            if line and line[0] not in " #/}" and not SKIP.match(line):
                pending, header = number, line.strip()
            elif not line.startswith(" "):
                pending = None
            if pending is None:
                continue
            if stripped.endswith(";"):
                pending = None
            elif stripped.endswith("{"):
                start, pending = pending, None
        elif line.startswith("}"):
            length = number - start + 1
            if length > limit:
                yield start, length, header
            start = None


def main(source_dir: str, limit: int, folders) -> int:
    problems = 0
    for folder in folders:
        for path in sorted((pathlib.Path(source_dir) / folder).rglob("*")):
            if path.suffix not in (".cc", ".h"):
                continue
            for start, length, header in long_functions(path, limit):
                problems += 1
                print(f"{path.relative_to(source_dir)}:{start}: {length} lines (> {limit}): {header}")
    print(f"function length: {problems} function(s) over {limit} lines in {' '.join(folders)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:]))
