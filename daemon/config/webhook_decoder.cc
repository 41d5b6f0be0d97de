// DecodeWebhooks: the `webhooks` list of the config file (CONTRACT §3).

#include "common/ascii.h"
#include "config/config_sections.h"
#include "config/reserved_headers.h"
#include "config/value_parsers.h"

namespace presenced::config_internal {
namespace {

constexpr Duration kGreaterThanZero{1};

bool IsNotEmpty(std::string_view text) { return !text.empty(); }

void DecodeWebhook(const Located& item, const EnvLookup& env, Diagnostics* diagnostics,
                   WebhookConfig* hook) {
  if (!item.node.IsMap()) {
    diagnostics->Fail(item.path, "must be a mapping", item.line);
    return;
  }
  MapReader r(item,
              {"name", "url", "format", "secret_env", "secret_file", "channels", "actions",
               "headers", "batch", "timeout", "retry", "sync_every"},
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
  r.String("secret_file", &hook->secret_file);
  if (!hook->secret_env.empty() && !hook->secret_file.empty()) {
    r.Fail("secret_file", "set secret_env or secret_file, not both");
  }
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
  DecodeHeaders(r, "headers", IsReservedWebhookHeader, env, &hook->headers);

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

void DecodeWebhooks(const MapReader& top, const EnvLookup& env,
                    std::vector<WebhookConfig>* webhooks) {
  Diagnostics* diagnostics = top.diagnostics();
  std::map<std::string, std::string> name_paths;  // name → path of the webhook that has it
  for (const Located& item : top.List("webhooks")) {
    WebhookConfig hook;
    DecodeWebhook(item, env, diagnostics, &hook);
    const std::string name_path = JoinPath(item.path, "name");
    if (!hook.name.empty() && name_paths.contains(hook.name)) {
      diagnostics->FailAt(name_path, "duplicate of " + name_paths[hook.name]);
    }
    name_paths.emplace(hook.name, name_path);
    webhooks->push_back(std::move(hook));
  }
}

}  // namespace presenced::config_internal
