#include "ably/token_answer.h"

#include <gtest/gtest.h>

namespace presenced {
namespace {

TEST(TokenAnswerTest, PlainTokenStrings) {
  auto plain = ParseTokenAnswer("text/plain; charset=utf-8", "abc.def\n");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->kind, TokenAnswer::Kind::kToken);
  EXPECT_EQ(plain->token, "abc.def");
  EXPECT_EQ(plain->expires_ms, 0);
  auto jwt = ParseTokenAnswer("application/jwt", "eyJh.eyJz.sig");
  ASSERT_TRUE(jwt.ok());
  EXPECT_EQ(jwt->token, "eyJh.eyJz.sig");
  auto untyped = ParseTokenAnswer("", "tok3n");
  ASSERT_TRUE(untyped.ok());
  EXPECT_EQ(untyped->token, "tok3n");
  auto quoted = ParseTokenAnswer("application/json", R"("tok3n")");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->token, "tok3n");
}

TEST(TokenAnswerTest, TokenDetails) {
  auto details = ParseTokenAnswer(
      "application/json",
      R"({"token":"xVLyHw.A-pwh7wicf3afTfgiw4k2Ku33kcnSA7z6y8FjuYpe3QaNRTEo4","keyName":"a.b",)"
      R"("issued":1700000000000,"expires":1700003600000,"capability":"{\"*\":[\"*\"]}"})");
  ASSERT_TRUE(details.ok()) << details.error().message;
  EXPECT_EQ(details->kind, TokenAnswer::Kind::kToken);
  EXPECT_EQ(details->token, "xVLyHw.A-pwh7wicf3afTfgiw4k2Ku33kcnSA7z6y8FjuYpe3QaNRTEo4");
  EXPECT_EQ(details->expires_ms, 1700003600000);
}

TEST(TokenAnswerTest, TokenRequestIsPassedOnAsReceived) {
  const std::string body =
      R"({"keyName":"app.key","ttl":3600000,"capability":"{\"*\":[\"presence\"]}",)"
      R"("timestamp":1700000000000,"nonce":"n1","mac":"m4c="})";
  auto request = ParseTokenAnswer("", body);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->kind, TokenAnswer::Kind::kTokenRequest);
  EXPECT_EQ(request->key_name, "app.key");
  EXPECT_EQ(request->request_json, body);
}

TEST(TokenAnswerTest, ErrorsNeverQuoteTheBody) {
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"text/plain", "se cret"},
           {"application/json", R"({"nothing":"secret"})"},
           {"application/json", R"({"token":"sec ret"})"},
           {"application/json", R"({"token":"secret")"},
           {"text/plain", ""}}) {
    auto answer = ParseTokenAnswer(type, body);
    ASSERT_FALSE(answer.ok()) << body;
    EXPECT_EQ(answer.error().message.find("secret"), std::string::npos);
    EXPECT_EQ(answer.error().message.find("se cret"), std::string::npos);
  }
}

}  // namespace
}  // namespace presenced
