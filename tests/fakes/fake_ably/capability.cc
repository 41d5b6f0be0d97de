#include "fake_ably/capability.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <vector>

#include "fake_ably/json_writer.h"

namespace presenced::testing {
namespace {

std::vector<std::string> Segments(const std::string& name) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t colon = name.find(':', start);
    out.push_back(name.substr(start, colon - start));
    if (colon == std::string::npos) return out;
    start = colon + 1;
  }
}

bool Grants(const std::set<std::string>& operations, const std::string& operation) {
  return operations.contains("*") || operations.contains(operation);
}

}  // namespace

bool ResourceMatches(const std::string& pattern, const std::string& channel) {
  if (pattern == "[*]*") return true;
  // `*` matches normal channels only, not metachannels or queues (`[meta]…`, `[queue]…`).
  if (channel.starts_with("[") && !pattern.starts_with("[")) return false;
  const std::vector<std::string> want = Segments(pattern);
  const std::vector<std::string> have = Segments(channel);
  for (size_t i = 0; i < want.size(); ++i) {
    const bool last = i + 1 == want.size();
    if (want[i] == "*" && last) return have.size() >= want.size();  // one or more segments
    if (i >= have.size()) return false;
    if (want[i] != "*" && want[i] != have[i]) return false;  // `foo*` is a literal
  }
  return have.size() == want.size();
}

std::optional<Capability> Capability::Parse(const std::string& json) {
  Capability capability;
  try {
    Poco::JSON::Parser parser;
    const Poco::Dynamic::Var parsed = parser.parse(json);
    const auto object = parsed.extract<Poco::JSON::Object::Ptr>();
    for (const auto& [resource, value] : *object) {
      const auto operations = value.extract<Poco::JSON::Array::Ptr>();
      std::set<std::string>& granted = capability.grants_[resource];
      for (size_t i = 0; i < operations->size(); ++i) {
        granted.insert(operations->getElement<std::string>(static_cast<unsigned>(i)));
      }
    }
  } catch (const Poco::Exception&) {
    return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return capability;
}

bool Capability::Allows(const std::string& channel, const std::string& operation) const {
  for (const auto& [resource, operations] : grants_) {
    if (Grants(operations, operation) && ResourceMatches(resource, channel)) return true;
  }
  return false;
}

bool Capability::AllowsOnWildcard(const std::string& operation) const {
  for (const char* resource : {"*", "[*]*"}) {
    auto it = grants_.find(resource);
    if (it != grants_.end() && Grants(it->second, operation)) return true;
  }
  return false;
}

Capability Capability::Intersect(const Capability& requested) const {
  Capability out;
  for (const auto& [resource, operations] : requested.grants_) {
    // The key's operations on this resource: those of every key resource that covers it (a
    // requested `*` is covered only by a key's `*` or `[*]*`).
    std::set<std::string> key_operations;
    for (const auto& [key_resource, granted] : grants_) {
      if (key_resource == resource || ResourceMatches(key_resource, resource)) {
        key_operations.insert(granted.begin(), granted.end());
      }
    }
    std::set<std::string> kept;
    for (const std::string& operation : operations) {
      if (operation == "*") {
        kept.insert(key_operations.begin(), key_operations.end());
      } else if (Grants(key_operations, operation)) {
        kept.insert(operation);
      }
    }
    if (!kept.empty()) out.grants_[resource] = std::move(kept);
  }
  return out;
}

std::string Capability::Json() const {
  std::string out = "{";
  for (const auto& [resource, operations] : grants_) {
    if (out.size() > 1) out.push_back(',');
    AppendJsonString(out, resource);
    out.append(":[");
    bool first = true;
    for (const std::string& operation : operations) {
      if (!first) out.push_back(',');
      first = false;
      AppendJsonString(out, operation);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

}  // namespace presenced::testing
