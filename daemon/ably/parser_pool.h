#pragma once

// ParserPool: the JSON parsers the fetch threads parse batch answers with, fewer than the threads
// when the machine has fewer cores. Parsing and diffing an answer is CPU-bound, so parsers beyond
// the cores add memory (each keeps about six bytes per byte of an answer, JsonParser), not speed;
// a thread whose answer has arrived waits for a free parser instead.
//
// Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <vector>

#include "ably/batch_parser.h"
#include "common/mutex.h"
#include "common/thread_annotations.h"

namespace presenced {

class ParserPool {
 public:
  // A pool of `size` parsers (at least one), made on first use.
  explicit ParserPool(size_t size);

  // A parser taken from the pool, given back when the lease ends.
  class Lease {
   public:
    Lease(ParserPool& pool, JsonParser& parser) : pool_(pool), parser_(parser) {}
    ~Lease() { pool_.GiveBack(parser_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    JsonParser& parser() const { return parser_; }

   private:
    ParserPool& pool_;
    JsonParser& parser_;
  };

  // Waits until a parser is free and takes it.
  Lease Take();

  // Returns how many parsers the pool holds at most.
  size_t size() const { return size_; }

 private:
  void GiveBack(JsonParser& parser);

  const size_t size_;
  Mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<JsonParser>> parsers_ GUARDED_BY(mu_);  // every parser made
  std::vector<JsonParser*> free_ GUARDED_BY(mu_);
};

// Returns the parsers worth keeping for `fetch_threads` threads on `cores` cores (0 = unknown):
// one per thread, at most one per core, at least one.
size_t ParsersFor(size_t fetch_threads, size_t cores);

}  // namespace presenced
