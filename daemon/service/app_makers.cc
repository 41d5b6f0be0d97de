#include "service/app_makers.h"

#include "ably/rest_client.h"
#include "delivery/kafka/kafka_sink.h"

namespace presenced {

HttpClientOptions HttpClientOptionsFor(const Config& config) {
  return {config.ably.ca_file,
          ProxySettings{config.proxy.https_proxy, config.proxy.http_proxy, config.proxy.bypass}};
}

AppMakers StandardMakers(Random& random) {
  AppMakers make;
  make.state = [](const std::string& dir) -> Result<OpenedState> {
    OpenedState state;
    auto lock = StateDirLock::Acquire(dir);
    if (!lock.ok()) return lock.error();
    state.lock = std::move(*lock);
    auto store = StateStore::Open(dir);
    if (!store.ok()) return Error{"state.dir: " + store.error().message};
    state.store = std::move(*store);
    return state;
  };
  make.http = [](const TlsOptions& tls) { return MakePocoHttpClient(tls); };
  make.auth = [](const AblyConfig& ably, HttpClient& http, Metrics& metrics, const Clock& clock) {
    return std::make_unique<AblyAuth>(ably, http, metrics, clock);
  };
  make.source = [&random](const AblyConfig& ably, HttpClient& http, Metrics& metrics,
                          const Clock& clock, AblyAuth& auth) {
    return MakeAblyRestClient(ably, http, metrics, clock, random, auth);
  };
  make.dispatcher = [&random](StateStore& store, HttpClient& http, Metrics& metrics,
                              const Clock& clock) {
    return std::make_unique<Dispatcher>(store, http, metrics, clock, random);
  };
  // Shared by every copy of the makers: the sinks' producers live as long as a sender holds them.
  auto producers = std::make_shared<KafkaProducers>();
  make.kafka_sinks = [producers](const std::vector<KafkaConfig>& sinks, Metrics& metrics,
                                 const Clock& clock) {
    return KafkaSinks(sinks, *producers, metrics, clock);
  };
  make.status = [](StatusInputs inputs) {
    return std::make_unique<StatusModel>(std::move(inputs));
  };
  make.poller = [](PresenceSource& source, StateStore& store, Metrics& metrics, const Clock& clock,
                   EventSink sink) {
    return std::make_unique<Poller>(source, store, metrics, clock, std::move(sink));
  };
  make.server = [](const std::string& host, uint16_t port, HttpHandlers handlers,
                   HttpServerOptions options) {
    return HttpServer::Start(host, port, std::move(handlers), options);
  };
  return make;
}

}  // namespace presenced
