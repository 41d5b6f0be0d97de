// Text that is not valid Unicode, made representable (json_text.h): ill-formed UTF-8 and lone
// surrogate escapes become U+FFFD, everything valid is left as it is.

#include "ably/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace presenced {
namespace {

const std::string kR(kReplacementCharacter);

TEST(ReplaceInvalidUtf8Test, LeavesValidTextAlone) {
  for (const char* valid : {"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                            "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_FALSE(ReplaceInvalidUtf8(valid).has_value()) << valid;
  }
}

TEST(ReplaceInvalidUtf8Test, ReplacesEachMaximalSubpart) {
  struct Case {
    std::string in, out;
  };
  for (const Case& c : std::vector<Case>{
           {"bad\xFF", "bad" + kR},
           {"caf\xC3\x28", "caf" + kR + "("},        // a lead without continuation
           {"\x80\x80", kR + kR},                    // lone continuation bytes
           {"\xC0\xAF", kR + kR},                    // overlong: C0 is never valid
           {"\xE0\x80\xAF", kR + kR + kR},           // overlong three-byte form
           {"\xED\xA0\x80", kR + kR + kR},           // an encoded surrogate
           {"\xF4\x90\x80\x80", kR + kR + kR + kR},  // past U+10FFFF
           {"\xE2\x82", kR},                         // cut short at the end
           {"a\xE2\x82"
            "b",
            "a" + kR + "b"},  // cut short inside
           {"\xF0\x9F\x98\x80\xFF\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80" + kR + "\xF0\x9F\x98\x80"},
       }) {
    const auto out = ReplaceInvalidUtf8(c.in);
    ASSERT_TRUE(out.has_value()) << c.in;
    EXPECT_EQ(*out, c.out) << c.in;
    EXPECT_FALSE(ReplaceInvalidUtf8(*out).has_value()) << "the result is valid UTF-8";
  }
}

TEST(DecodeJsonStringLenientlyTest, ReplacesLoneSurrogatesAndDecodesTheRest) {
  struct Case {
    std::string token, out;
  };
  for (const Case& c : std::vector<Case>{
           {R"("lone\ud800x")", "lone" + kR + "x"},
           {R"("\udc00")", kR},
           {R"("\ud800\u0041")", kR + "A"},
           {R"("\ud83d\ude00 ok")", "\xF0\x9F\x98\x80 ok"},
           {R"("a\"b\\c\/d\n\t\u00e9")", "a\"b\\c/d\n\t\xC3\xA9"},
           {R"("bad \q escape")", "bad " + kR + " escape"},
           {R"("short \u12")", "short " + kR + "12"},
           {R"("end" , )", "end"},
       }) {
    const auto out = DecodeJsonStringLeniently(c.token);
    ASSERT_TRUE(out.has_value()) << c.token;
    EXPECT_EQ(*out, c.out) << c.token;
  }
  EXPECT_FALSE(DecodeJsonStringLeniently("123").has_value());
  EXPECT_FALSE(DecodeJsonStringLeniently(R"("no end)").has_value());
}

}  // namespace
}  // namespace presenced
