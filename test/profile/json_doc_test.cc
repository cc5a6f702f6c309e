#include "profile/json_doc.h"

#include <gtest/gtest.h>

#include <string>

namespace sysfence::profile {
namespace {

TEST(JsonDoc, RecordsValuesAndTheirPositions) {
  const std::string text = "{\n  \"a\": [1, \"x\\n\"],\n  \"b\": {\"c\": null, \"d\": true}\n}";
  auto doc = JsonDoc::parse(text, "t.json");
  ASSERT_TRUE(doc) << doc.error().message;
  const JsonRef root = doc->root();
  ASSERT_EQ(root.kind(), JsonKind::kObject);
  auto members = root.members();
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].key, "a");
  EXPECT_EQ(members[1].key, "b");
  // Key and value offsets point at the key's quote and the value's first byte.
  EXPECT_EQ(text.substr(members[0].key_offset, 3), "\"a\"");
  EXPECT_EQ(text[members[0].value.offset()], '[');
  const auto a = members[0].value.elements();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].as_u64(), 1u);
  EXPECT_EQ(text[a[0].offset()], '1');
  EXPECT_EQ(a[1].as_string(), "x\n");  // unescaped
  EXPECT_EQ(text[a[1].offset()], '"');
  const TextPos p = doc->pos(a[1].offset());
  EXPECT_EQ(p.line, 2u);
  EXPECT_EQ(p.col, 12u);
  const auto b = members[1].value.members();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].value.kind(), JsonKind::kNull);
  EXPECT_TRUE(b[1].value.as_bool());
  EXPECT_EQ(doc->pos(b[1].value.offset()).line, 3u);
  EXPECT_EQ(doc->pos(b[1].value.offset()).col, 25u);
}

TEST(JsonDoc, NumbersKeepTheirLiteralAndKind) {
  auto doc = JsonDoc::parse("[0, 18446744073709551615, -1, 1.5, 1e3, 18446744073709551616, -0]", "n");
  ASSERT_TRUE(doc) << doc.error().message;
  const auto e = doc->root().elements();
  ASSERT_EQ(e.size(), 7u);
  EXPECT_TRUE(e[0].number_is_integer());
  EXPECT_EQ(e[1].as_u64(), 18446744073709551615ULL);
  EXPECT_TRUE(e[2].number_is_negative());
  EXPECT_EQ(e[2].as_i64(), -1);
  EXPECT_FALSE(e[3].number_is_integer());
  EXPECT_FALSE(e[4].number_is_integer());
  EXPECT_EQ(e[4].number_text(), "1e3");
  EXPECT_FALSE(e[5].number_is_integer());  // beyond 64 bits
  EXPECT_EQ(e[5].number_text(), "18446744073709551616");
  EXPECT_TRUE(e[6].number_is_negative());
}

TEST(JsonDoc, DuplicateKeysAreKeptInOrder) {
  auto doc = JsonDoc::parse(R"({"k": 1, "k": 2})", "d");
  ASSERT_TRUE(doc);
  const auto m = doc->root().members();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].value.as_u64(), 1u);
  EXPECT_EQ(m[1].value.as_u64(), 2u);
}

TEST(JsonDoc, EscapedKeysAndEmptyContainersKeepOffsetsInStep) {
  const std::string text = R"({"k\"ey": [], "z": {}, "w": [[], {"q": "a\"b"}], "last": 7})";
  auto doc = JsonDoc::parse(text, "e");
  ASSERT_TRUE(doc);
  const auto m = doc->root().members();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].key, "k\"ey");
  EXPECT_EQ(text.substr(m[3].key_offset, 6), "\"last\"");
  EXPECT_EQ(text[m[3].value.offset()], '7');
  const auto inner = m[2].value.element(1).members();
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner[0].value.as_string(), "a\"b");
  EXPECT_EQ(text.substr(inner[0].value.offset(), 2), "\"a");
}

// The first byte each kind of value starts with.
bool starts_like(JsonKind kind, char c) {
  switch (kind) {
    case JsonKind::kNull: return c == 'n';
    case JsonKind::kBool: return c == 't' || c == 'f';
    case JsonKind::kNumber: return c == '-' || (c >= '0' && c <= '9');
    case JsonKind::kString: return c == '"';
    case JsonKind::kArray: return c == '[';
    case JsonKind::kObject: return c == '{';
  }
  return false;
}

TEST(JsonDoc, EveryValueAndKeyIsPlacedInAnyShape) {
  // Placed while parsing (values after keys, containers before their first
  // child, nested first children), and shapes that need the second pass
  // (literals, empty containers and escaped strings as array elements,
  // escaped keys).
  const std::string texts[] = {
      "{\n\t\"a\" :\t[ [ {\"b\": null, \"c\": [], \"d\": {}} ], \"s\", -1 ],\r\n \"e\": \"x\\ty\", \"f\": true }",
      R"([[["deep"]], {"k": 1}, 2.5e1])",
      R"([true, [], {}, "\u00e9", null])",
      R"({"k\u0065y": {"z": [false]}})",
      "  17  ",
      R"("top")",
  };
  for (const std::string& text : texts) {
    auto doc = JsonDoc::parse(text, "shape.json");
    ASSERT_TRUE(doc) << doc.error().message;
    uint32_t last = 0;
    for (uint32_t i = 0; i < doc->nodes().size(); ++i) {
      const JsonRef v(&*doc, i);
      ASSERT_LT(v.offset(), text.size()) << text << " node " << i;
      EXPECT_TRUE(starts_like(v.kind(), text[v.offset()])) << text << " node " << i;
      if (i > 0) {
        EXPECT_GT(v.offset(), last) << text << " node " << i;  // pre-order is document order
      }
      last = v.offset();
    }
  }
  // Members' keys too, and the values right after them.
  const std::string& first = texts[0];
  auto doc = JsonDoc::parse(first, "shape.json");
  ASSERT_TRUE(doc);
  for (const auto& m : doc->root().members()) {
    EXPECT_EQ(first.substr(m.key_offset, m.key.size() + 2), "\"" + std::string(m.key) + "\"");
    EXPECT_TRUE(starts_like(m.value.kind(), first[m.value.offset()]));
  }
  const auto a = doc->root().members()[0].value;
  EXPECT_EQ(first.substr(a.offset(), 3), "[ [");
  EXPECT_EQ(first.substr(a.element(0).offset(), 3), "[ {");
  EXPECT_EQ(first.substr(a.element(0).element(0).offset(), 4), "{\"b\"");
  EXPECT_EQ(doc->root().members()[1].value.as_string(), "x\ty");
}

TEST(JsonDoc, SyntaxErrorsNameLineAndColumn) {
  auto e1 = JsonDoc::parse("{\n  \"a\": 1,\n  }\n", "p.json");
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().message, "p.json:3:3: invalid JSON: unexpected character '}'");

  auto e2 = JsonDoc::parse("{\"a\": [1, 2", "p.json");
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().message, "p.json:1:12: invalid JSON: unexpected end of input");

  auto e3 = JsonDoc::parse("{} \n x", "p.json");
  ASSERT_FALSE(e3);
  EXPECT_EQ(e3.error().message, "p.json:2:2: invalid JSON: unexpected data after the JSON value");

  auto e4 = JsonDoc::parse("[\"a\x01\"]", "p.json");
  ASSERT_FALSE(e4);
  EXPECT_EQ(e4.error().message, "p.json:1:4: invalid JSON: unexpected control character 0x01");

  auto e5 = JsonDoc::parse("[\"\xff\"]", "p.json");
  ASSERT_FALSE(e5);
  EXPECT_EQ(e5.error().message, "p.json:1:3: invalid JSON: invalid UTF-8 byte 0xFF");

  EXPECT_TRUE(JsonDoc::parse(" {}\n\t ", "ws.json"));  // surrounding whitespace is fine

  // A byte-order mark is refused (as Docker refuses it) by its name; inside a
  // string it is a character like any other.
  auto bom = JsonDoc::parse("\xEF\xBB\xBF{\"defaultAction\": \"SCMP_ACT_ERRNO\"}", "bom.json");
  ASSERT_FALSE(bom);
  EXPECT_TRUE(bom.error().message.starts_with("bom.json:1:1: invalid JSON: a UTF-8 byte-order mark (bytes EF BB BF)"))
      << bom.error().message;
  EXPECT_TRUE(JsonDoc::parse("[\"\xEF\xBB\xBF\"]", "in-string.json"));

  auto e6 = JsonDoc::parse("", "empty.json");
  ASSERT_FALSE(e6);
  EXPECT_EQ(e6.error().message, "empty.json:1:1: invalid JSON: unexpected end of input");

  auto e7 = JsonDoc::parse("// c\n{}", "c.json");  // comments are not JSON (nor for Go)
  ASSERT_FALSE(e7);
  EXPECT_EQ(e7.error().message, "c.json:1:1: invalid JSON: unexpected character '/'");
}

// A leading surrogate escape must be followed by a trailing one: said of
// the escape, as for a lone trailing surrogate, not of the byte after it.
TEST(JsonDoc, ALoneLeadingSurrogateIsNamed) {
  const std::string expected =
      "s.json:1:3: invalid JSON: invalid \\u escape (leading surrogate \\ud800 is not followed by a trailing "
      "surrogate \\udc00..\\udfff)";
  for (const std::string_view text : {R"(["\ud800"])", R"(["\ud800x"])", R"(["\ud800\n"])"}) {
    auto e = JsonDoc::parse(text, "s.json");
    ASSERT_FALSE(e) << text;
    EXPECT_EQ(e.error().message, expected) << text;
  }
  auto upper = JsonDoc::parse(R"({"a": "x\uDBFF"})", "s.json");
  ASSERT_FALSE(upper);
  EXPECT_EQ(upper.error().message,
            "s.json:1:9: invalid JSON: invalid \\u escape (leading surrogate \\uDBFF is not followed by a trailing "
            "surrogate \\udc00..\\udfff)");
  // A lone trailing surrogate keeps Boost.JSON's own words.
  auto trailing = JsonDoc::parse(R"(["\udc00"])", "s.json");
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("invalid \\u escape ("), std::string::npos) << trailing.error().message;
  // Escaped backslashes before "ud800" make it text; a pair is a character.
  EXPECT_TRUE(JsonDoc::parse(R"(["\\ud800"])", "s.json"));
  EXPECT_TRUE(JsonDoc::parse(R"(["\ud83d\ude00"])", "s.json"));
  // Other syntax errors inside a string are unchanged.
  auto other = JsonDoc::parse(R"(["\\ud800\q"])", "s.json");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().message.find("surrogate"), std::string::npos) << other.error().message;
}

TEST(JsonDoc, DepthIsBounded) {
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  auto e = JsonDoc::parse(deep, "deep.json");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "deep.json:1:65: invalid JSON: nesting deeper than 64 levels");
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(JsonDoc::parse(ok, "ok.json"));
  // Far deeper input fails the same way, without recursion.
  const std::string very = std::string(1000000, '[');
  auto e2 = JsonDoc::parse(very, "very.json");
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().message, "very.json:1:65: invalid JSON: nesting deeper than 64 levels");
}

TEST(JsonDoc, SizeAndValueCountAreBounded) {
  JsonLimits small;
  small.max_bytes = 10;
  auto e = JsonDoc::parse("[1,2,3,4,5,6]", "big.json", small);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "big.json: input is 13 bytes, larger than the limit of 10 bytes");

  JsonLimits few;
  few.max_values = 4;
  auto e2 = JsonDoc::parse("[1,2,3,4,5]", "many.json", few);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().message, "many.json:1:9: invalid JSON: more than 4 values in one document");
  EXPECT_TRUE(JsonDoc::parse("[1,2,3]", "few.json", few));
}

TEST(LineCursor, MapsOffsetsToLinesAndColumns) {
  LineCursor li("ab\ncd\n\nx");
  EXPECT_EQ(li.pos(0).line, 1u);
  EXPECT_EQ(li.pos(0).col, 1u);
  EXPECT_EQ(li.pos(2).col, 3u);  // the newline itself
  EXPECT_EQ(li.pos(3).line, 2u);
  EXPECT_EQ(li.pos(6).line, 3u);
  EXPECT_EQ(li.pos(7).line, 4u);
  EXPECT_EQ(li.pos(7).col, 1u);
  EXPECT_EQ(li.pos(8).col, 2u);   // one past the end
  EXPECT_EQ(li.pos(1).line, 1u);  // and back
  EXPECT_EQ(li.pos(1).col, 2u);
}

TEST(LineCursor, AgreesWithCountingInAnyOrder) {
  std::string text;
  for (int line = 0; line < 100; ++line) text += std::string(static_cast<size_t>(line % 7), 'x') + "\n";
  const auto counted = [&](size_t offset) {
    TextPos p{1, 1};
    for (size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++p.line;
        p.col = 1;
      } else {
        ++p.col;
      }
    }
    return p;
  };
  LineCursor cursor(text);
  const auto same = [&](size_t offset) {
    const TextPos a = cursor.pos(offset);
    const TextPos b = counted(offset);
    EXPECT_EQ(a.line, b.line) << offset;
    EXPECT_EQ(a.col, b.col) << offset;
  };
  for (size_t offset = 0; offset <= text.size(); ++offset) same(offset);          // in order
  for (size_t offset = 0; offset <= text.size(); offset += 37) same(offset);      // jumps
  for (size_t k = 0; k <= text.size(); ++k) same((k * 101) % (text.size() + 1));  // back and forth
  for (size_t offset = text.size() + 1; offset-- > 0;) same(offset);              // backwards
  EXPECT_EQ(LineCursor().pos(0).col, 1u);
}

// Long jumps over many newlines at once: more than a byte counter holds
// per lane of a vector step (255), and a text of nothing but newlines.
TEST(LineCursor, CountsLongRunsOfNewlines) {
  const std::string blank(10000, '\n');
  LineCursor cursor(blank);
  EXPECT_EQ(cursor.pos(10000).line, 10001u);
  EXPECT_EQ(cursor.pos(10000).col, 1u);
  EXPECT_EQ(cursor.pos(4321).line, 4322u);
  std::string text;
  for (int line = 0; line < 3000; ++line) text += std::string(static_cast<size_t>(line % 40), 'y') + "\n";
  LineCursor jumps(text);
  size_t line = 1;
  size_t line_start = 0;
  for (size_t offset = 0; offset < text.size(); ++offset) {
    if (offset % 4099 == 0 || offset + 1 == text.size()) {
      const TextPos p = jumps.pos(offset);
      EXPECT_EQ(p.line, line) << offset;
      EXPECT_EQ(p.col, offset - line_start + 1) << offset;
    }
    if (text[offset] == '\n') {
      ++line;
      line_start = offset + 1;
    }
  }
}

}  // namespace
}  // namespace sysfence::profile
