#include "net/proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "common/ascii.h"

namespace presenced {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// An IPv4 or IPv6 address in network order; `size` 4 or 16, 0 when `text` is not one.
struct Address {
  std::array<unsigned char, 16> bytes{};
  size_t size = 0;
};

Address ParseAddress(std::string_view text) {
  Address address;
  const std::string copy(text);
  if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.size = 4;
  } else if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.size = 16;
  }
  return address;
}

// True when the first `bits` bits of both addresses are equal.
bool SamePrefix(const Address& a, const Address& b, size_t bits) {
  for (size_t i = 0; i < a.size && bits > 0; ++i) {
    const size_t take = std::min<size_t>(bits, 8);
    const auto mask = static_cast<unsigned char>(0xff << (8 - take));
    if ((a.bytes[i] & mask) != (b.bytes[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

// True when the address `host` is in `entry`: an address, or a CIDR range "address/bits".
bool AddressMatches(const Address& host, std::string_view entry) {
  size_t bits = host.size * 8;
  if (const size_t slash = entry.find('/'); slash != std::string_view::npos) {
    const std::string_view length = entry.substr(slash + 1);
    const auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), bits);
    if (error != std::errc() || end != length.data() + length.size()) return false;
    entry = entry.substr(0, slash);
  }
  if (entry.size() > 2 && entry.front() == '[' && entry.back() == ']') {
    entry = entry.substr(1, entry.size() - 2);
  }
  const Address range = ParseAddress(entry);
  return range.size == host.size && bits <= host.size * 8 && SamePrefix(host, range, bits);
}

}  // namespace

Result<ProxyRoute> ParseProxyUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || AsciiLower(url.substr(0, kScheme.size())) != kScheme) {
    return Error{"the proxy URL must start with http://"};
  }
  std::string_view rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  ProxyRoute route;
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = rest.substr(0, at);
    const size_t colon = user_info.find(':');
    route.username = PercentDecode(user_info.substr(0, colon));
    if (colon != std::string_view::npos)
      route.password = PercentDecode(user_info.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  Result<Url> parsed = ParseUrl("http://" + std::string(rest) + "/");
  if (!parsed.ok() || parsed->host.empty()) return Error{"the proxy URL has no valid host"};
  route.host = parsed->host;
  const bool has_port = rest.rfind(':') != std::string_view::npos && rest.back() != ']';
  route.port = has_port ? parsed->port : 1080;
  return route;
}

bool NoProxyMatches(std::string_view no_proxy, std::string_view host) {
  std::string name = AsciiLower(host);
  while (!name.empty() && name.back() == '.') name.pop_back();
  const Address address = ParseAddress(name);
  size_t start = 0;
  while (start <= no_proxy.size()) {
    const size_t comma = std::min(no_proxy.find(',', start), no_proxy.size());
    std::string entry = AsciiLower(Trim(no_proxy.substr(start, comma - start)));
    start = comma + 1;
    if (entry == "*") return true;
    while (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    while (!entry.empty() && entry.back() == '.') entry.pop_back();
    if (entry.empty()) continue;
    if (address.size > 0) {
      if (AddressMatches(address, entry)) return true;
    } else if (name == entry || (name.size() > entry.size() && name.ends_with(entry) &&
                                 name[name.size() - entry.size() - 1] == '.')) {
      return true;
    }
  }
  return false;
}

std::optional<ProxyRoute> ProxyFor(const ProxySettings& settings, const Url& target) {
  const std::string& proxy = target.scheme == "https" ? settings.https_proxy : settings.http_proxy;
  if (proxy.empty()) return std::nullopt;
  if (NoProxyMatches(settings.no_proxy, target.host)) return std::nullopt;
  Result<ProxyRoute> route = ParseProxyUrl(proxy);
  if (!route.ok()) return std::nullopt;
  return *route;
}

}  // namespace presenced
