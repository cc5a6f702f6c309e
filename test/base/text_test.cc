#include "base/text.h"

#include <gtest/gtest.h>

#include <string>

namespace sysfence {
namespace {

TEST(Quoted, PlainTextIsQuotedAsIs) {
  EXPECT_EQ(quote("SCMP_ACT_ALLOW"), "\"SCMP_ACT_ALLOW\"");
  EXPECT_EQ(quote(""), "\"\"");
}

TEST(Quoted, QuotesBackslashesAndControlBytesAreEscaped) {
  EXPECT_EQ(quote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(quote("x\ny\tz\r"), R"("x\ny\tz\r")");
  EXPECT_EQ(quote(std::string("\0\x1f\x7f", 3)), R"("\x00\x1f\x7f")");
  // Bytes >= 0x80 (UTF-8) pass through.
  EXPECT_EQ(quote("\xc3\xa9"), "\"\xc3\xa9\"");
}

// Valid UTF-8 stays; a byte that starts or continues no well-formed
// character is written as \xNN, as a control byte is.
TEST(Quoted, InvalidUtf8IsEscaped) {
  EXPECT_EQ(quote("read\xff"), R"("read\xff")");
  EXPECT_EQ(quote("\xc3"), R"("\xc3")");                          // cut short
  EXPECT_EQ(quote("\xc0\xaf"), R"("\xc0\xaf")");                  // overlong '/'
  EXPECT_EQ(quote("\xed\xa0\x80"), R"("\xed\xa0\x80")");          // a surrogate
  EXPECT_EQ(quote("\xf4\x90\x80\x80"), R"("\xf4\x90\x80\x80")");  // past U+10FFFF
  EXPECT_EQ(quote("\xc2\x9b[2J"), R"("\xc2\x9b[2J")");            // C1 CSI
  EXPECT_EQ(quote("\xe2\x82\xac \xf0\x9f\x98\x80"), "\"\xe2\x82\xac \xf0\x9f\x98\x80\"");
  // A cut inside a character leaves the character out.
  EXPECT_EQ(quote("ab\xe2\x82\xac", 3), "\"ab...\" (5 bytes)");
}

TEST(Quoted, LongTextIsCutAndItsLengthSaid) {
  const std::string big(100000, 'A');
  const std::string q = quote(big, 8);
  EXPECT_EQ(q, "\"AAAAAAAA...\" (100000 bytes)");
  EXPECT_EQ(quote("12345678", 8), "\"12345678\"");
}

TEST(OneLine, OnlyControlBytesChange) {
  EXPECT_EQ(one_line("a \"b\" \\ c"), "a \"b\" \\ c");
  const std::string s = one_line("x.json:1:19: unknown action \"ALLOW\nsysfence: forged\"");
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_EQ(s, "x.json:1:19: unknown action \"ALLOW\\nsysfence: forged\"");
}

// Every byte value at every position of a clean text, across the eight-byte
// steps one_line reads clean text in and the bytes left over after them,
// among clean bytes next to the control range (' ', '~', 0x80, 0xff):
// compared with the escaping written out byte by byte.
TEST(OneLine, EveryByteAtEveryPositionIsEscapedAsOnItsOwn) {
  const auto escaped = [](unsigned char c) -> std::string {
    if (c == '\n') return "\\n";
    if (c == '\t') return "\\t";
    if (c == '\r') return "\\r";
    if (c < 0x20 || c == 0x7f) {
      constexpr char kDigits[] = "0123456789abcdef";
      return std::string("\\x") + kDigits[c >> 4] + kDigits[c & 0xf];
    }
    return std::string(1, static_cast<char>(c));
  };
  for (const char filler : {'a', ' ', '~', '\x80', '\xff'}) {
    EXPECT_EQ(one_line(std::string(21, filler)), std::string(21, filler));
    for (size_t length : {1, 7, 8, 9, 16, 21}) {
      for (size_t at = 0; at < length; ++at) {
        for (int c = 0; c < 256; ++c) {
          std::string text(length, filler);
          text[at] = static_cast<char>(c);
          const std::string want =
              std::string(at, filler) + escaped(static_cast<unsigned char>(c)) + std::string(length - at - 1, filler);
          ASSERT_EQ(one_line(text), want) << "byte " << c << " at " << at << " of " << length;
        }
      }
    }
  }
}

TEST(OneLine, AppendedAfterWhatIsThere) {
  std::string out = "sysfence: ";
  append_one_line(out, "a\x1b[31mb");
  append_one_line(out, "");
  append_one_line(out, "\xc3\xa9\x7f");
  EXPECT_EQ(out, "sysfence: a\\x1b[31mb\xc3\xa9\\x7f");
}

TEST(Printable, KeepsLineBreaksOnly) { EXPECT_EQ(printable("a\nb\r\x1b[31m"), "a\nb\\r\\x1b[31m"); }

}  // namespace
}  // namespace sysfence
