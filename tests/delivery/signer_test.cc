#include "delivery/signer.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

TEST(SignerTest, MatchesTheStandardWebhooksTestVector) {
  EXPECT_EQ(StandardWebhookSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                     "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                     R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(SignerTest, RawSecretIsUsedAsTheKey) {
  // The well-known HMAC-SHA256(key="key", "The quick brown fox…") = f7bc83f4…, in base64.
  EXPECT_EQ(AblySignature("key", "The quick brown fox jumps over the lazy dog"),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
  // "{id}.{timestamp}.{body}" with a raw key equals the Ably-style HMAC of that string.
  EXPECT_EQ(StandardWebhookSignature("key", "id", 12, "body"),
            "v1," + AblySignature("key", "id.12.body"));
}

TEST(SignerTest, WhsecKeyIsBase64Decoded) {
  // base64("key") = "a2V5": a whsec_ secret signs with the decoded bytes.
  EXPECT_EQ(StandardWebhookSignature("whsec_a2V5", "id", 12, "body"),
            StandardWebhookSignature("key", "id", 12, "body"));
  // The Ably signature uses the secret as configured.
  EXPECT_NE(AblySignature("whsec_a2V5", "body"), AblySignature("key", "body"));
}

TEST(SignerTest, InvalidBase64AfterWhsecFallsBackToTheRawSecret) {
  EXPECT_EQ(StandardWebhookSignature("whsec_%%%", "id", 1, "b"),
            "v1," + AblySignature("whsec_%%%", "id.1.b"));
}

}  // namespace
}  // namespace presenced
