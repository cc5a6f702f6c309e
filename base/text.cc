#include "base/text.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

namespace sysfence {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

void append_escaped_control(std::string& out, unsigned char c) {
  switch (c) {
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default: out += fmt::format("\\x{:02x}", c); break;
  }
}

// Whether some byte of `s` is a control byte, eight bytes per step: a
// byte below 0x20 sets its top bit in (x - 0x20..) & ~x, and 0x7f becomes
// a zero byte after x ^ 0x7f.. (no false positives either way). Messages
// are mostly clean: byte by byte, escaping the 100 conflict warnings of a
// profile (53 KB) cost 1.0M instructions, most of it this test.
bool has_control(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101U;
  constexpr uint64_t kHighBits = 0x8080808080808080U;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    const uint64_t del = x ^ (0x7f * kOnes);
    if ((((x - 0x20 * kOnes) & ~x) | ((del - kOnes) & ~del)) & kHighBits) return true;
  }
  for (; i < s.size(); ++i)
    if (is_control(static_cast<unsigned char>(s[i]))) return true;
  return false;
}

void append_escaped(std::string& out, std::string_view s, bool keep_newlines) {
  if (!has_control(s)) {
    out += s;
    return;
  }
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_control(c) && !(keep_newlines && c == '\n')) {
      append_escaped_control(out, c);
    } else {
      out += ch;
    }
  }
}

std::string escape_controls(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  append_escaped(out, s, keep_newlines);
  return out;
}

}  // namespace

std::string quote(std::string_view s, size_t max_bytes) {
  const std::string_view shown = s.substr(0, max_bytes);
  std::string out = "\"";
  for (char ch : shown) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (is_control(c)) {
      append_escaped_control(out, c);
    } else {
      out += ch;
    }
  }
  if (shown.size() < s.size()) {
    out += fmt::format("...\" ({} bytes)", s.size());
  } else {
    out += '"';
  }
  return out;
}

std::string one_line(std::string_view s) { return escape_controls(s, false); }

void append_one_line(std::string& out, std::string_view s) { append_escaped(out, s, false); }

std::string printable(std::string_view s) { return escape_controls(s, true); }

}  // namespace sysfence
