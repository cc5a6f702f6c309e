#include "base/text.h"

#include <fmt/format.h>

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

std::string escape_controls(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_control(c) && !(keep_newlines && c == '\n')) {
      append_escaped_control(out, c);
    } else {
      out += ch;
    }
  }
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

std::string printable(std::string_view s) { return escape_controls(s, true); }

}  // namespace sysfence
