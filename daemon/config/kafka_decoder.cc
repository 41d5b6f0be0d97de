// DecodeKafkaSinks and ResolveKafkaProperties: the `kafka` list of the config file (CONTRACT §3).
// librdkafka checks each property name and value here, so a typo fails --check-config with its
// path and line instead of failing the sink at start. No message echoes a property value: any of
// them may be a credential.

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "config/config_sections.h"
#include "config/value_parsers.h"

namespace presenced::config_internal {
namespace {

// What presenced sets itself: the brokers come from `brokers`, and the idempotent producer with
// acks=all is what keeps a channel's events in order through retries (daemon/delivery/kafka/).
constexpr std::string_view kReservedProperties[] = {"bootstrap.servers",     "metadata.broker.list",
                                                    "enable.idempotence",    "acks",
                                                    "request.required.acks", "transactional.id"};

bool IsNotEmpty(std::string_view text) { return !text.empty(); }

// Kafka's rule for topic names: 1–249 of [a-zA-Z0-9._-], not "." or "..".
bool IsTopicName(std::string_view text) {
  return !text.empty() && text.size() <= 249 && text != "." && text != ".." &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

// "host:port,host:port" as librdkafka's bootstrap.servers takes it: no spaces, no empty entry.
bool IsBrokerList(std::string_view text) {
  if (text.empty() || text.front() == ',' || text.back() == ',') return false;
  if (text.find(",,") != std::string_view::npos) return false;
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

// Returns librdkafka's objection to `name: value`, with the value cut out; nullopt when it
// takes it. plugin.library.paths is not tried here: setting it loads the plugins (dlopen), which
// a config check must not do; a bad path fails the sink when it starts.
std::optional<std::string> KafkaPropertyProblem(const std::string& name, const std::string& value) {
  if (name == "plugin.library.paths") return std::nullopt;
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          rd_kafka_conf_destroy);
  char error[512] = "";
  if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof(error)) ==
      RD_KAFKA_CONF_OK) {
    return std::nullopt;
  }
  std::string message = error;
  if (!value.empty()) {
    for (size_t at = message.find(value); at != std::string::npos; at = message.find(value, at)) {
      message.replace(at, value.size(), "…");
      at += std::string_view("…").size();
    }
  }
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
    message.pop_back();
  }
  return "librdkafka refuses it: " + message;
}

// Reads one `properties` entry: a scalar is the value itself; {env: NAME} and {file: PATH} are
// resolved later (ResolveKafkaProperties), with the environment.
void DecodeProperty(const std::string& path, const YAML::Node& value, int line,
                    Diagnostics* diagnostics, const std::string& name, KafkaConfig* sink) {
  constexpr std::string_view kShape = "must be a string, {env: NAME} or {file: PATH}";
  if (value.IsScalar()) {
    if (auto problem = KafkaPropertyProblem(name, value.Scalar())) {
      diagnostics->Fail(path, *problem, line);
      return;
    }
    sink->properties[name] = Secret(value.Scalar());
    return;
  }
  if (!value.IsMap() || value.size() != 1) {
    diagnostics->Fail(path, kShape, line);
    return;
  }
  const auto entry = value.begin();
  const std::string kind = entry->first.IsScalar() ? entry->first.Scalar() : "";
  if ((kind != "env" && kind != "file") || !entry->second.IsScalar() ||
      entry->second.Scalar().empty()) {
    diagnostics->Fail(path, kShape, line);
    return;
  }
  if (kind == "env" && !IsEnvName(entry->second.Scalar())) {
    diagnostics->Fail(path, "env must name an environment variable (like KAFKA_PASSWORD)", line);
    return;
  }
  diagnostics->RecordLine(path, line);
  sink->property_sources[name] = {kind == "file", entry->second.Scalar()};
}

void DecodeProperties(const MapReader& r, KafkaConfig* sink) {
  auto value = r.Get("properties");
  if (!value) return;
  Diagnostics* diagnostics = r.diagnostics();
  if (!value->node.IsMap()) {
    diagnostics->Fail(value->path, "must be a mapping", value->line);
    return;
  }
  for (auto it = value->node.begin(); it != value->node.end(); ++it) {
    const int line = LineOf(it->first, value->line);
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
    const std::string path = JoinPath(value->path, name);
    const bool reserved = std::find(std::begin(kReservedProperties), std::end(kReservedProperties),
                                    name) != std::end(kReservedProperties);
    if (!it->first.IsScalar() || name.empty()) {
      diagnostics->Fail(path, "must be a librdkafka property name", line);
    } else if (reserved) {
      diagnostics->Fail(path,
                        "is set by presenced (brokers; idempotent producer, acks=all) and cannot "
                        "be overridden",
                        line);
    } else if (sink->properties.contains(name) || sink->property_sources.contains(name)) {
      diagnostics->Fail(path, "duplicate key", line);
    } else {
      DecodeProperty(path, it->second, LineOf(it->second, line), diagnostics, name, sink);
    }
  }
}

void DecodeKafkaSink(const Located& item, Diagnostics* diagnostics, KafkaConfig* sink) {
  if (!item.node.IsMap()) {
    diagnostics->Fail(item.path, "must be a mapping", item.line);
    return;
  }
  MapReader r(item,
              {"name", "brokers", "topic", "key", "format", "channels", "actions", "properties",
               "retry", "sync_every"},
              diagnostics);
  if (!r.String("name", &sink->name)) {
    if (!r.Get("name")) r.Fail("name", "is required");
  } else if (!IsWebhookName(sink->name)) {
    r.Fail("name", "must match [a-z0-9_-]+");
  }
  if (!r.String("brokers", &sink->brokers)) {
    if (!r.Get("brokers")) r.Fail("brokers", "is required");
  } else if (!IsBrokerList(sink->brokers)) {
    r.Fail("brokers", "must be host:port[,host:port…] without spaces");
  }
  if (!r.String("topic", &sink->topic)) {
    if (!r.Get("topic")) r.Fail("topic", "is required");
  } else if (!IsTopicName(sink->topic)) {
    r.Fail("topic", "must be 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-'");
  }
  r.Enum<KafkaConfig::Key>(
      "key", {{"channel", KafkaConfig::Key::kChannel}, {"member", KafkaConfig::Key::kMember}},
      &sink->key);
  r.Enum<KafkaConfig::Format>(
      "format", {{"events", KafkaConfig::Format::kEvents}, {"ably", KafkaConfig::Format::kAbly}},
      &sink->format);
  r.StringList("channels", ListRules{IsNotEmpty, "must not be empty", false, /*non_empty=*/true},
               &sink->channels);
  std::vector<std::string> actions;
  if (r.StringList(
          "actions",
          ListRules{IsSelectableAction, kSelectableActions, /*unique=*/true, /*non_empty=*/true},
          &actions)) {
    sink->actions.clear();
    for (const std::string& action : actions) sink->actions.push_back(*ParseActionName(action));
  }
  DecodeProperties(r, sink);
  MapReader retry = r.Map("retry", {"give_up_after"});
  retry.Duration("give_up_after", Duration(1), &sink->retry_give_up_after);
  if (r.Duration("sync_every", Duration(0), &sink->sync_every) && sink->sync_every.count() > 0 &&
      sink->sync_every < Duration(1'000)) {
    r.Fail("sync_every", "must be 0s (never) or at least 1s");
  }
}

}  // namespace

void DecodeKafkaSinks(const MapReader& top, const std::vector<WebhookConfig>& webhooks,
                      std::vector<KafkaConfig>* sinks) {
  Diagnostics* diagnostics = top.diagnostics();
  std::map<std::string, std::string> name_paths;  // name → path of the sink that has it
  for (size_t i = 0; i < webhooks.size(); ++i) {
    name_paths.emplace(webhooks[i].name, IndexPath("webhooks", i) + ".name");
  }
  for (const Located& item : top.List("kafka")) {
    KafkaConfig sink;
    DecodeKafkaSink(item, diagnostics, &sink);
    const std::string name_path = JoinPath(item.path, "name");
    if (!sink.name.empty() && name_paths.contains(sink.name)) {
      diagnostics->FailAt(name_path, "duplicate of " + name_paths[sink.name]);
    }
    name_paths.emplace(sink.name, name_path);
    sinks->push_back(std::move(sink));
  }
}

void ResolveKafkaProperties(const EnvLookup& env, Diagnostics* diagnostics,
                            std::vector<KafkaConfig>* sinks) {
  for (size_t i = 0; i < sinks->size(); ++i) {
    KafkaConfig& sink = (*sinks)[i];
    for (const auto& [name, source] : sink.property_sources) {
      const std::string path = IndexPath("kafka", i) + ".properties." + name;
      std::optional<std::string> value =
          ResolveCredentialSource(env, source.file, source.name, path, diagnostics);
      if (!value) continue;
      if (auto problem = KafkaPropertyProblem(name, *value)) {
        diagnostics->FailAt(path, *problem);
        continue;
      }
      sink.properties[name] = Secret(std::move(*value));
    }
    sink.property_sources.clear();
  }
}

}  // namespace presenced::config_internal
