#include "base/text.h"

#include <fmt/format.h>

#include <algorithm>
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

// The length of the well-formed UTF-8 character `s` starts with (Unicode
// table 3-7: no overlong forms, surrogates or values past U+10FFFF); 0 when
// it starts with none.
size_t utf8_length(std::string_view s) {
  const auto at = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(0);
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xbf;  // the second byte's range
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
  if (n == 0 || s.size() < n || at(1) < lo || at(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (at(k) < 0x80 || at(k) > 0xbf) return 0;
  return n;
}

}  // namespace

std::string quote(std::string_view s, size_t max_bytes) {
  const size_t shown = std::min(s.size(), max_bytes);
  std::string out = "\"";
  size_t i = 0;
  while (i < shown) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') out += '\\';
      if (is_control(c)) append_escaped_control(out, c);
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    const size_t n = utf8_length(s.substr(i));
    if (n != 0 && i + n > shown) break;  // a character the cut would split: left out whole
    // Invalid UTF-8 and the C1 controls (U+0080..U+009F, which some
    // terminals act on) as bytes; every other character as it is.
    const bool c1 = n == 2 && c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0;
    if (n == 0 || c1) {
      for (size_t k = 0; k < std::max<size_t>(n, 1); ++k)
        out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i + k]));
    } else {
      out += s.substr(i, n);
    }
    i += std::max<size_t>(n, 1);
  }
  if (i < s.size()) {
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
