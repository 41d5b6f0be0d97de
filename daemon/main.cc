// presenced: turns Ably's REST presence API into a live feed of enter/leave/update events.
#include <malloc.h>

#include "service/cli.h"

int main(int argc, char** argv) {
  // Every cycle allocates and frees the same large buffers (response bodies, parsed members, new
  // channel states). glibc's defaults hand such blocks back to the kernel (mmap above 128 KiB,
  // trimming the heap top) and take them again next cycle, one page fault per 4 KiB: that was a
  // third of the CPU at 1 M members. Kept in the heap instead, they are reused: about 25 % less
  // CPU per cycle, and RSS stays near its peak instead of dipping between cycles
  // (scripts/bench-e2e.sh, README "Performance"). One arena instead of one per core and thread
  // keeps one copy of that peak, not one per arena the fetch threads happened to use: 4 % less
  // peak RSS than two arenas at 100,000 rooms and up to 7 % at 1 M members, no measurable CPU
  // cost (bench/README.md, "Round 2: pacing and small rooms").
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_ARENA_MAX, 1);
  return presenced::RunCli(argc, argv);
}
