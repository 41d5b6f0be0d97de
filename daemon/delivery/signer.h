#pragma once

// Webhook request signing (CONTRACT §5). Pure functions, thread-safe. Callers must never log
// the secret or a signature.

#include <cstdint>
#include <string>
#include <string_view>

namespace presenced {

// Returns the Standard Webhooks `webhook-signature` value "v1,<base64 HMAC-SHA256>" over
// "{id}.{timestamp}.{body}". The key is the base64-decoded part after `whsec_` when `secret`
// has that prefix (falling back to the raw secret if that part is not valid base64), else the
// raw secret bytes.
std::string StandardWebhookSignature(std::string_view secret, std::string_view id,
                                     int64_t timestamp_seconds, std::string_view body);

// Returns the `X-Ably-Signature` value: base64(HMAC-SHA256(secret, body)), keyed with the
// secret exactly as configured (Ably signs with the raw key string).
std::string AblySignature(std::string_view secret, std::string_view body);

}  // namespace presenced
