#include "net/url.h"

#include <algorithm>
#include <charconv>

#include "common/ascii.h"

namespace presenced {
namespace {

uint16_t DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

std::string HostForAuthority(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

std::string Url::Origin() const {
  return scheme + "://" + HostForAuthority(host) + ":" + std::to_string(port);
}

std::string Url::Authority() const {
  std::string out = scheme + "://" + HostForAuthority(host);
  if (port != DefaultPort(scheme)) out += ":" + std::to_string(port);
  return out;
}

Result<Url> ParseUrl(std::string_view url) {
  Url out;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return Error{"URL has no scheme"};
  out.scheme = AsciiLower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return Error{"URL scheme must be http or https"};
  }
  std::string_view rest = url.substr(sep + 3);
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? "" : rest.substr(end);
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (authority.find('@') != std::string_view::npos) return Error{"URL must not contain user info"};

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error{"URL has an unclosed IPv6 literal"};
    out.host.assign(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error{"URL has a malformed host"};
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host.assign(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Error{"URL has no host"};
  out.port = DefaultPort(out.scheme);
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Error{"URL has an invalid port"};
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target.assign(target);
  }
  return out;
}

std::string ResolveReference(const Url& base, std::string_view reference) {
  if (reference.find("://") != std::string_view::npos) return std::string(reference);
  if (!reference.empty() && reference.front() == '/') {
    return base.Authority() + std::string(reference);
  }
  if (reference.starts_with("./")) reference.remove_prefix(2);
  // The directory of the base path: everything up to and including its last '/'.
  std::string_view path = base.target;
  path = path.substr(0, path.find('?'));
  const size_t slash = path.rfind('/');
  std::string_view dir = slash == std::string_view::npos ? "/" : path.substr(0, slash + 1);
  return base.Authority() + std::string(dir) + std::string(reference);
}

}  // namespace presenced
