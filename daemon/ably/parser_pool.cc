#include "ably/parser_pool.h"

#include <algorithm>

namespace presenced {

ParserPool::ParserPool(size_t size) : size_(std::max<size_t>(size, 1)) {}

ParserPool::Lease ParserPool::Take() {
  MutexLock lock(mu_);
  freed_.wait(lock.native(),
              [&]() REQUIRES(mu_) { return !free_.empty() || parsers_.size() < size_; });
  if (free_.empty()) {
    parsers_.push_back(std::make_unique<JsonParser>());
    return Lease(*this, *parsers_.back());
  }
  JsonParser* parser = free_.back();
  free_.pop_back();
  return Lease(*this, *parser);
}

void ParserPool::GiveBack(JsonParser& parser) {
  {
    MutexLock lock(mu_);
    free_.push_back(&parser);
  }
  freed_.notify_one();
}

size_t ParsersFor(size_t fetch_threads, size_t cores) {
  const size_t bound = cores == 0 ? fetch_threads : std::min(fetch_threads, cores);
  return std::max<size_t>(bound, 1);
}

}  // namespace presenced
