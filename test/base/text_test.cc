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

TEST(Printable, KeepsLineBreaksOnly) { EXPECT_EQ(printable("a\nb\r\x1b[31m"), "a\nb\\r\\x1b[31m"); }

}  // namespace
}  // namespace sysfence
