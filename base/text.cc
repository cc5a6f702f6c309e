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

// Whether some byte of `s` is a control byte, sixteen bytes per step (the
// lanes of a step compare at once; the steps' hits are ORed together and
// looked at once). Messages are mostly clean: byte by byte, escaping the
// 100 conflict warnings of a profile (53 KB) cost 1.0M instructions, most
// of it this test; copied whole after it, 0.05M.
bool has_control(std::string_view s) {
  using Bytes = uint8_t __attribute__((vector_size(16)));
  constexpr size_t kStep = sizeof(Bytes);
  const char* p = s.data();
  const char* const end = p + s.size();
  Bytes hits{};
  for (; static_cast<size_t>(end - p) >= kStep; p += kStep) {
    Bytes chunk;
    std::memcpy(&chunk, p, kStep);
    hits |= reinterpret_cast<Bytes>((chunk < 0x20) | (chunk == 0x7f));
  }
  uint64_t halves[2];
  std::memcpy(halves, &hits, sizeof halves);
  if ((halves[0] | halves[1]) != 0) return true;
  for (; p < end; ++p)
    if (is_control(static_cast<unsigned char>(*p))) return true;
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
