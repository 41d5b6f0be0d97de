// libFuzzer target: ParseUrl on the first line, then the rest as a `Link` header value (NextLink)
// and as a reference resolved against the URL (ResolveReference), as the REST client follows pages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ably/rest_request.h"
#include "net/url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view url = input.substr(0, newline);
  const std::string_view link = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  const std::string next = presenced::NextLink({{"Link", std::string(link)}});
  const presenced::Result<presenced::Url> base = presenced::ParseUrl(url);
  if (base.ok()) {
    (void)presenced::ResolveReference(*base, link);
    (void)presenced::ResolveReference(*base, next);
  }
  return 0;
}
