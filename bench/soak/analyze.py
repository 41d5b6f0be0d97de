#!/usr/bin/env python3
"""Reads the soak samples (TSV: seconds rss_bytes fds db_bytes wal_bytes events) and prints the
slope of each resource per minute, over the whole run and over each half. A resource "grows
without bound" when its second-half slope is above its floor (noise: allocator pages, SQLite's
page reuse) and still at least half its first-half slope: growth that levels off after warm-up
(caches, the outbox reaching its steady size while the receiver flaps) passes; a leak does not.
Exit status 1 when any resource grows without bound."""
import sys

FLOORS = {  # per minute
    "rss_bytes": 1 << 20,
    "fds": 0.5,
    "db_bytes": 1 << 20,
    "wal_bytes": 1 << 20,
}


def slope(points):
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else 0.0


def human(name, value, sign=""):
    if name.endswith("bytes"):
        return f"{value / (1 << 20):{sign}.2f} MiB"
    return f"{value:{sign}.2f}"


rows = [list(map(float, line.split())) for line in open(sys.argv[1]) if line.strip()]
columns = ["seconds", "rss_bytes", "fds", "db_bytes", "wal_bytes", "events"]
minutes = [(r[0] - rows[0][0]) / 60 for r in rows]
half = len(rows) // 2
failed = []
print(f"{len(rows)} samples over {minutes[-1]:.1f} min, {int(rows[-1][5] - rows[0][5])} events")
print(f"{'resource':<10} {'first':>14} {'last':>14} {'slope/min':>14} {'1st half':>14} {'2nd half':>14}")
for index, name in enumerate(columns[1:5], start=1):
    points = [(m, r[index]) for m, r in zip(minutes, rows)]
    whole, first, second = slope(points), slope(points[: half + 1]), slope(points[half:])
    unbounded = second > FLOORS[name] and second >= 0.5 * first
    if unbounded:
        failed.append(name)
    print(f"{name:<10} {human(name, rows[0][index]):>14} {human(name, rows[-1][index]):>14} "
          f"{human(name, whole, '+'):>14} {human(name, first, '+'):>14} {human(name, second, '+'):>14}"
          f"{'  GROWS WITHOUT BOUND' if unbounded else ''}")
if failed:
    print("soak: FAILED: " + ", ".join(failed))
    sys.exit(1)
print("soak: every resource is bounded")
