#include "profile/json_plain.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sysfence::profile {

namespace {

constexpr size_t kNotPlain = SIZE_MAX;  // a step's "not plain JSON: ask Boost"

constexpr size_t kMaxPlainDigits = 19;  // 10^19 - 1 < 2^64

// String bytes taken as they are: printable ASCII other than the quote and
// the backslash. Anything else (escapes, control bytes, UTF-8 that Boost
// must validate) ends the scan.
constexpr std::array<bool, 256> kPlainStringByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

// Eight bytes at a time (SWAR) where the byte order lets the lowest flagged
// byte be the first in the text. Every mask below flags exactly the bytes it
// names (no carry crosses a byte), in their high bits.
constexpr bool kSwar = std::endian::native == std::endian::little;
constexpr uint64_t kOnes = 0x0101010101010101;
constexpr uint64_t kHighs = 0x8080808080808080;
constexpr uint64_t kLows = ~kHighs;

uint64_t load8(const char* p) {
  uint64_t w = 0;
  std::memcpy(&w, p, sizeof w);
  return w;
}

uint64_t bytes_equal(uint64_t w, unsigned char c) {
  const uint64_t x = w ^ (kOnes * c);
  return ~(((x & kLows) + kLows) | x) & kHighs;
}

// Bytes that end a plain string: non-ASCII, below 0x20, '"', '\\', 0x7f.
uint64_t string_stops(uint64_t w) {
  const uint64_t control = ~((w & kLows) + kOnes * 0x60) & kHighs;
  return (w & kHighs) | control | bytes_equal(w, '"') | bytes_equal(w, '\\') | bytes_equal(w, 0x7f);
}

size_t first_flagged(uint64_t mask) { return static_cast<size_t>(std::countr_zero(mask)) / 8; }

}  // namespace

struct PlainJsonScanner {
  using Node = JsonDoc::Node;

  PlainJsonScanner(std::string_view text, const JsonLimits& l, JsonDoc& d)
      : s(text.data()), n(text.size()), limits(l), doc(d) {}

  const char* s;
  size_t n;
  const JsonLimits& limits;
  JsonDoc& doc;
  std::vector<uint32_t> open;  // indexes of the open (non-empty) containers
  std::vector<uint32_t> line_starts;
  bool entered = false;  // value() opened a container: the next value is its first
  // The key of the member whose value comes next.
  bool have_key = false;
  uint32_t key_offset = 0, key_pos = 0, key_len = 0;

  // Each step takes the cursor and returns where it stops (kNotPlain).

  // Most tokens follow the one before directly: that case stays inline.
  size_t skip_ws(size_t i) { return i < n && s[i] > ' ' ? i : skip_ws_run(i); }

  // In plain JSON every newline is whitespace between tokens, so the line
  // index is complete once the scan is.
  size_t skip_ws_run(size_t i) {
    while (i < n) {
      const char c = s[i];
      if (c > ' ') return i;
      if (c == '\n') {
        line_starts.push_back(static_cast<uint32_t>(++i));
        i = skip_indentation(i);
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
      } else {
        return i;
      }
    }
    return i;
  }

  // Spaces and tabs (a line's indentation).
  size_t skip_indentation(size_t i) const {
    if constexpr (kSwar) {
      for (; i + 8 <= n; i += 8) {
        const uint64_t w = load8(s + i);
        const uint64_t stops = ~(bytes_equal(w, ' ') | bytes_equal(w, '\t')) & kHighs;
        if (stops != 0) return i + first_flagged(stops);
      }
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t')) ++i;
    return i;
  }

  // The first byte at or after `i` that is not plain string content.
  size_t string_end(size_t i) const {
    if constexpr (kSwar) {
      for (; i + 8 <= n; i += 8) {
        const uint64_t stops = string_stops(load8(s + i));
        if (stops != 0) return i + first_flagged(stops);
      }
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(s);
    while (i < n && kPlainStringByte[bytes[i]]) ++i;
    return i;
  }

  // At a key's opening quote: through the colon and the whitespace after it.
  size_t key(size_t i) {
    if (i >= n || s[i] != '"') return kNotPlain;
    const size_t end = string_end(i + 1);
    if (end >= n || s[end] != '"') return kNotPlain;
    have_key = true;
    key_offset = static_cast<uint32_t>(i);
    key_pos = key_offset + 1;  // the pool is the text
    key_len = static_cast<uint32_t>(end - i - 1);
    i = skip_ws(end + 1);
    if (i >= n || s[i] != ':') return kNotPlain;
    return skip_ws(i + 1);
  }

  // Appends the node of a value that starts at `offset`, as
  // JsonTapeBuilder::add and record_offsets do; nullptr past the limit.
  // Built in place: the tape is the scan's output.
  Node* add(JsonKind kind, size_t offset) {
    if (doc.nodes_.size() >= limits.max_values) return nullptr;
    const auto end = static_cast<uint32_t>(doc.nodes_.size() + 1);
    if (!open.empty()) doc.nodes_[open.back()].count++;
    Node& v = doc.nodes_.emplace_back();
    v.kind = kind;
    v.offset = static_cast<uint32_t>(offset);
    v.end = end;
    if (have_key) {
      v.key_offset = key_offset;
      v.key_pos = key_pos;
      v.key_len = key_len;
      have_key = false;
    }
    return &v;
  }

  size_t literal(size_t i, std::string_view word, JsonKind kind, bool flag) {
    if (std::string_view(s + i, std::min(n - i, word.size())) != word) return kNotPlain;
    Node* v = add(kind, i);
    if (v == nullptr) return kNotPlain;
    v->flag = flag;
    return i + word.size();
  }

  size_t number(size_t i) {
    size_t j = i;
    uint64_t value = 0;
    if (s[j] == '0') {
      ++j;
    } else {
      for (; j < n && s[j] >= '0' && s[j] <= '9'; ++j) value = value * 10 + static_cast<uint64_t>(s[j] - '0');
      if (j - i > kMaxPlainDigits) return kNotPlain;
    }
    // A fraction, an exponent or a leading zero: Boost's.
    if (j < n && (s[j] == '.' || s[j] == 'e' || s[j] == 'E' || (s[j] >= '0' && s[j] <= '9'))) return kNotPlain;
    Node* v = add(JsonKind::kNumber, i);
    if (v == nullptr) return kNotPlain;
    v->flag = true;
    v->bits = value;
    v->text_pos = static_cast<uint32_t>(i);
    v->text_len = static_cast<uint32_t>(j - i);
    return j;
  }

  // An empty container is complete at once; otherwise it is entered and the
  // cursor left at its first value (after the key, for an object).
  size_t container(size_t i, bool object) {
    if (open.size() >= limits.max_depth) return kNotPlain;
    if (add(object ? JsonKind::kObject : JsonKind::kArray, i) == nullptr) return kNotPlain;
    const auto index = static_cast<uint32_t>(doc.nodes_.size() - 1);
    i = skip_ws(i + 1);
    if (i < n && s[i] == (object ? '}' : ']')) return i + 1;
    open.push_back(index);
    entered = true;
    return object ? key(i) : i;
  }

  size_t value(size_t i) {
    if (i >= n) return kNotPlain;
    const char c = s[i];
    if (c == '"') {
      const size_t end = string_end(i + 1);
      if (end >= n || s[end] != '"') return kNotPlain;
      Node* v = add(JsonKind::kString, i);
      if (v == nullptr) return kNotPlain;
      v->text_pos = static_cast<uint32_t>(i + 1);
      v->text_len = static_cast<uint32_t>(end - i - 1);
      return end + 1;
    }
    if (c == '{' || c == '[') return container(i, c == '{');
    if (c >= '0' && c <= '9') return number(i);
    if (c == 't') return literal(i, "true", JsonKind::kBool, true);
    if (c == 'f') return literal(i, "false", JsonKind::kBool, false);
    if (c == 'n') return literal(i, "null", JsonKind::kNull, false);
    return kNotPlain;
  }

  // After a complete value: the comma (and key) before the next value, or
  // the brackets that close; past the root, the whitespace that ends the text.
  size_t after_value(size_t i) {
    while (!open.empty()) {
      i = skip_ws(i);
      if (i >= n) return kNotPlain;
      Node& parent = doc.nodes_[open.back()];
      const bool object = parent.kind == JsonKind::kObject;
      if (s[i] == ',') {
        i = skip_ws(i + 1);
        return object ? key(i) : i;
      }
      if (s[i] != (object ? '}' : ']')) return kNotPlain;
      ++i;
      parent.end = static_cast<uint32_t>(doc.nodes_.size());
      open.pop_back();
    }
    return skip_ws(i);
  }

  bool run() {
    // Plain strings and numbers are the text as written: the pool is the
    // text, and each value names its place in it.
    doc.pool_.assign(s, n);
    line_starts.reserve(std::min(n / 8 + 16, size_t{1} << 16));
    line_starts.push_back(0);
    size_t i = skip_ws(0);
    do {
      i = value(i);
      if (i == kNotPlain) return false;
      if (entered) {
        entered = false;
        continue;
      }
      i = after_value(i);
      if (i == kNotPlain) return false;
    } while (!open.empty());
    if (i != n) return false;  // data after the value: Boost's to report
    doc.lines_ = LineIndex(std::move(line_starts));
    return true;
  }
};

bool scan_plain_json(std::string_view text, const JsonLimits& limits, JsonDoc& doc) {
  return PlainJsonScanner(text, limits, doc).run();
}

}  // namespace sysfence::profile
