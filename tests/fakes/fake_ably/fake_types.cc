#include "fake_ably/fake_types.h"

#include <strings.h>

namespace presenced::testing {

std::string FakeRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

}  // namespace presenced::testing
