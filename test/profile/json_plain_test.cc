// JsonDoc::parse takes plain JSON through a one-pass scanner and everything
// else through Boost.JSON; parse_general is Boost alone. Whatever the input,
// both must give the same tape, pool and positions, or the same error.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "profile/json_doc.h"
#include "test/profile/test_files.h"

namespace sysfence::profile {
namespace {

// Every field of every node (strings by their contents: the two lay out
// their pools differently), and the line index.
void expect_same_doc(const JsonDoc& a, const JsonDoc& b, std::string_view text) {
  ASSERT_EQ(a.nodes().size(), b.nodes().size()) << text;
  for (size_t k = 0; k < a.nodes().size(); ++k) {
    const auto& x = a.nodes()[k];
    const auto& y = b.nodes()[k];
    SCOPED_TRACE(::testing::Message() << "node " << k << " of " << text);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.flag, y.flag);
    EXPECT_EQ(x.negative, y.negative);
    EXPECT_EQ(x.offset, y.offset);
    EXPECT_EQ(x.key_offset, y.key_offset);
    EXPECT_EQ(x.end, y.end);
    EXPECT_EQ(x.count, y.count);
    EXPECT_EQ(x.bits, y.bits);
    EXPECT_EQ(a.pool(x.text_pos, x.text_len), b.pool(y.text_pos, y.text_len));
    EXPECT_EQ(a.pool(x.key_pos, x.key_len), b.pool(y.key_pos, y.key_len));
  }
  EXPECT_EQ(a.lines().line_starts(), b.lines().line_starts()) << text;
}

void expect_same_result(std::string_view text, const JsonLimits& limits = {}) {
  auto fast = JsonDoc::parse(text, "t.json", limits);
  auto general = JsonDoc::parse_general(text, "t.json", limits);
  ASSERT_EQ(fast.has_value(), general.has_value()) << text;
  if (fast) expect_same_doc(*fast, *general, text);
  else EXPECT_EQ(fast.error().message, general.error().message) << text;
}

TEST(PlainJson, RealProfilesGiveTheSameTape) {
  for (const char* path : {testing::kDockerDefault, testing::kContainersCommon, testing::kSeedExample})
    expect_same_result(testing::read_data_file(path));
}

TEST(PlainJson, EdgesOfThePlainSubset) {
  const char* const cases[] = {
      "0",
      "7",
      " 12 ",
      "1234567890123456789",
      "9999999999999999999",
      "18446744073709551615",
      "18446744073709551616",
      "01",
      "1.5",
      "1e3",
      "1E3",
      "-1",
      "-0",
      "true",
      "false",
      "null",
      "tru",
      "nul",
      "truex",
      "[true,false,null]",
      "\"\"",
      "\"a b~\"",
      "\"a\\\"b\"",
      "\"\x7f\"",
      "\"\xc3\xa9\"",
      "\"a\x01\"",
      "\"a\nb\"",
      "\"unterminated",
      "{}",
      "[]",
      "{ }",
      "[ ]",
      "[[],{},[{}]]",
      "{\"a\":1}",
      "{\"a\" : 1 , \"b\" :[ ] }",
      "{\"a\":1,}",
      "[1,]",
      "[1 2]",
      "{\"a\" 1}",
      "{1:2}",
      "{\"a\":1",
      "[1,2",
      "[",
      "{",
      "",
      "   ",
      "\n\r\t[\n1\n]\n",
      "{} x",
      "[] []",
      "{\"k\":1,\"k\":2}",
      "[1}",
      "{\"a\":1]",
      "[\"a\",\"b\"]x",
      "// c\n{}",
      "\xef\xbb\xbf{}",
      "[1,2,3,4,5]",
      "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}",
  };
  for (const char* c : cases) expect_same_result(c);
}

// The scanner reads strings and indentation eight bytes at a time: every
// stopping byte at every place in and around a word.
TEST(PlainJson, StringsAndIndentationAtEveryByte) {
  // The 14 bytes include the literal's terminating NUL.
  const std::string stops("\"\\\x01\x1f\x7f\x80\xff\t\n\r ~!", 14);
  for (size_t len = 0; len < 20; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (const char stop : stops) {
        std::string body(len, 'a');
        if (at < len) body[at] = stop;
        expect_same_result("[\"" + body + "\"]");
        expect_same_result("{\"" + body + "\": 1}");
      }
    }
  }
  const std::string blanks = " \t\r\nx";
  for (size_t len = 0; len < 20; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (const char other : blanks) {
        std::string indent(len, (len % 2) != 0 ? '\t' : ' ');
        if (at < len) indent[at] = other;
        expect_same_result("[\n" + indent + "1,\n" + indent + "{\n" + indent + "\"k\":" + indent + "2}" + indent + "]");
      }
    }
  }
}

TEST(PlainJson, LimitsAreBoostsLimits) {
  JsonLimits few;
  few.max_values = 4;
  expect_same_result("[1,2,3]", few);
  expect_same_result("[1,2,3,4]", few);
  expect_same_result("[1,2,3,4,5]", few);
  expect_same_result("{\"a\":[1,2],\"b\":3}", few);
  for (const unsigned depth : {63u, 64u, 65u}) {
    expect_same_result(std::string(depth, '[') + std::string(depth, ']'));
    std::string objects;
    for (unsigned d = 0; d < depth; ++d) objects += "{\"k\":";
    objects += "1" + std::string(depth, '}');
    expect_same_result(objects);
  }
  JsonLimits tiny;
  tiny.max_bytes = 4;
  expect_same_result("[1,2]", tiny);
}

// Small edits of valid documents: the scanner must stop (and Boost decide)
// wherever the text leaves plain JSON or stops being JSON.
TEST(PlainJson, EditedDocumentsAgree) {
  const std::string seeds[] = {
      "{\n\t\"defaultAction\": \"SCMP_ACT_ERRNO\",\n\t\"syscalls\": [\n\t\t{\n\t\t\t\"names\": [\"read\", "
      "\"write\"],\n\t\t\t\"action\": \"SCMP_ACT_ALLOW\",\n\t\t\t\"args\": [{\"index\": 0, \"value\": 2114060288, "
      "\"op\": \"SCMP_CMP_EQ\"}]\n\t\t}\n\t]\n}\n",
      "[0, 1, 12, true, false, null, {}, [], {\"a\": [\"b\"]}]",
  };
  const std::string alphabet = "{}[]:,\"\\ \n\t0159-.eEtfnulrsa\x01\x7f\xc3\xa9\xff";
  std::mt19937 rng(12345);
  for (const std::string& seed : seeds) {
    for (int round = 0; round < 3000; ++round) {
      std::string text = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        const size_t at = rng() % text.size();
        const char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
          case 0: text[at] = c; break;
          case 1: text.insert(at, 1, c); break;
          default: text.erase(at, 1); break;
        }
      }
      expect_same_result(text);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace sysfence::profile
