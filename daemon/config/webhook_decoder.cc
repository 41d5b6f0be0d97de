// DecodeWebhooks: the `webhooks` list of the config file (CONTRACT §3).

#include "common/ascii.h"
#include "config/config_sections.h"
#include "config/reserved_headers.h"
#include "config/value_parsers.h"

namespace presenced::config_internal {
namespace {

constexpr Duration kGreaterThanZero{1};

bool IsNotEmpty(std::string_view text) { return !text.empty(); }

void DecodeWebhook(const Located& item, Diagnostics* diagnostics, WebhookConfig* hook) {
  if (!item.node.IsMap()) {
    diagnostics->Fail(item.path, "must be a mapping", item.line);
    return;
  }
  MapReader r(item,
              {"name", "url", "format", "secret_env", "channels", "actions", "headers", "batch",
               "timeout", "retry", "sync_every"},
              diagnostics);
  if (!r.String("name", &hook->name)) {
    if (!r.Get("name")) r.Fail("name", "is required");
  } else if (!IsWebhookName(hook->name)) {
    r.Fail("name", "must match [a-z0-9_-]+");
  }
  std::string url;
  if (!r.String("url", &url)) {
    if (!r.Get("url")) r.Fail("url", "is required");
  } else if (HasUserInfo(url)) {
    // Neither the HTTP client nor Standard Webhooks sends it: every attempt would fail for
    // give_up_after. The value is not echoed; it holds a password.
    r.Fail("url", "must not contain user info (user:password@); put credentials in headers");
  } else if (auto normalized = NormalizeHttpUrl(url, /*base_only=*/false)) {
    hook->url = *normalized;
  } else {
    r.Fail("url", "must be an http or https URL");
  }
  r.Enum<WebhookConfig::Format>(
      "format",
      {{"ably", WebhookConfig::Format::kAbly}, {"events", WebhookConfig::Format::kEvents}},
      &hook->format);
  ReadEnvName(r, "secret_env", &hook->secret_env);
  r.StringList("channels", ListRules{IsNotEmpty, "must not be empty", false, /*non_empty=*/true},
               &hook->channels);
  std::vector<std::string> actions;
  if (r.StringList(
          "actions",
          ListRules{IsSelectableAction, kSelectableActions, /*unique=*/true, /*non_empty=*/true},
          &actions)) {
    hook->actions.clear();
    for (const std::string& action : actions) hook->actions.push_back(*ParseActionName(action));
  }
  DecodeHeaders(r, "headers", IsReservedWebhookHeader, &hook->headers);

  MapReader batch = r.Map("batch", {"max_events", "max_delay"});
  batch.Int("max_events", 1, 10000, &hook->batch_max_events);
  batch.Duration("max_delay", Duration(0), &hook->batch_max_delay);
  r.Duration("timeout", kGreaterThanZero, &hook->timeout);
  MapReader retry = r.Map("retry", {"initial_backoff", "max_backoff", "give_up_after"});
  retry.Duration("initial_backoff", kGreaterThanZero, &hook->retry_initial_backoff);
  retry.Duration("max_backoff", kGreaterThanZero, &hook->retry_max_backoff);
  retry.Duration("give_up_after", kGreaterThanZero, &hook->retry_give_up_after);
  if (hook->retry_max_backoff < hook->retry_initial_backoff) {
    retry.Fail("max_backoff", "must not be shorter than initial_backoff");
  }
  // A sync sends every channel: a period under a second would do little else.
  if (r.Duration("sync_every", Duration(0), &hook->sync_every) && hook->sync_every.count() > 0 &&
      hook->sync_every < Duration(1'000)) {
    r.Fail("sync_every", "must be 0s (never) or at least 1s");
  }
}

}  // namespace

bool IsSelectableAction(std::string_view text) {
  const std::optional<Action> action = ParseActionName(text);
  return action && *action != Action::kSync;
}

void DecodeWebhooks(const MapReader& top, std::vector<WebhookConfig>* webhooks) {
  Diagnostics* diagnostics = top.diagnostics();
  std::map<std::string, std::string> name_paths;  // name → path of the webhook that has it
  for (const Located& item : top.List("webhooks")) {
    WebhookConfig hook;
    DecodeWebhook(item, diagnostics, &hook);
    const std::string name_path = JoinPath(item.path, "name");
    if (!hook.name.empty() && name_paths.contains(hook.name)) {
      diagnostics->FailAt(name_path, "duplicate of " + name_paths[hook.name]);
    }
    name_paths.emplace(hook.name, name_path);
    webhooks->push_back(std::move(hook));
  }
}

void DecodeHeaders(const MapReader& r, std::string_view key, bool (*reserved)(std::string_view),
                   std::map<std::string, std::string>* headers) {
  auto value = r.Get(key);
  if (!value) return;
  Diagnostics* diagnostics = r.diagnostics();
  if (!value->node.IsMap()) {
    diagnostics->Fail(value->path, "must be a mapping", value->line);
    return;
  }
  std::map<std::string, std::string> lower_seen;
  for (auto it = value->node.begin(); it != value->node.end(); ++it) {
    const int line = LineOf(it->first, value->line);
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
    const std::string path = JoinPath(value->path, name);
    if (!it->first.IsScalar() || !IsHeaderName(name)) {
      diagnostics->Fail(path, "must be a valid HTTP header name", line);
    } else if (reserved != nullptr && reserved(name)) {
      diagnostics->Fail(path, "is set by presenced and cannot be overridden", line);
    } else if (lower_seen.contains(AsciiLower(name))) {
      diagnostics->Fail(path, "duplicate of " + lower_seen[AsciiLower(name)], line);
    } else if (!it->second.IsScalar()) {
      diagnostics->Fail(path, "must be a string", LineOf(it->second, line));
    } else if (!IsHeaderValue(it->second.Scalar())) {
      diagnostics->Fail(path, "must not contain control characters", LineOf(it->second, line));
    } else {
      lower_seen[AsciiLower(name)] = path;
      (*headers)[name] = it->second.Scalar();
    }
  }
}

}  // namespace presenced::config_internal
