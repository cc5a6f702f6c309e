#include "profile/json_plain.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace sysfence::profile {

namespace {

// String bytes the scanner copies as they are: printable ASCII other than
// the quote and the backslash. Anything else (escapes, control bytes, UTF-8
// that Boost must validate) ends the scan.
constexpr std::array<bool, 256> kPlainStringByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x7f; ++c) t[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

constexpr size_t kMaxPlainDigits = 19;  // 10^19 - 1 < 2^64

}  // namespace

struct PlainJsonScanner {
  using Node = JsonDoc::Node;

  PlainJsonScanner(std::string_view t, const JsonLimits& l, JsonDoc& d) : text(t), limits(l), doc(d) {
    line_starts.push_back(0);
  }

  std::string_view text;
  const JsonLimits& limits;
  JsonDoc& doc;
  size_t i = 0;
  std::vector<uint32_t> open;  // indexes of the open (non-empty) containers
  std::vector<uint32_t> line_starts;
  // The key of the member whose value comes next.
  bool have_key = false;
  uint32_t key_offset = 0, key_pos = 0, key_len = 0;

  bool at(char c) const { return i < text.size() && text[i] == c; }

  // In plain JSON every newline is whitespace between tokens, so the line
  // index is complete once the scan is. (A local cursor: `i` itself would
  // go through memory on every byte.)
  void skip_ws() {
    const char* const s = text.data();
    const size_t n = text.size();
    size_t j = i;
    while (j < n) {
      const char c = s[j];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++j;
        continue;
      }
      if (c != '\n') break;
      ++j;
      line_starts.push_back(static_cast<uint32_t>(j));
    }
    i = j;
  }

  // At an opening quote: the contents' place in the pool (a copy of the
  // text), and `i` after the closing quote.
  bool string(uint32_t& pos, uint32_t& len) {
    const size_t start = i + 1;
    const size_t j = plain_string_end(start);
    if (j >= text.size() || text[j] != '"') return false;
    pos = static_cast<uint32_t>(start);
    len = static_cast<uint32_t>(j - start);
    i = j + 1;
    return true;
  }

  // The first byte at or after `j` that is not plain string content (or
  // the end): eight bytes at a time while none of them is special.
  size_t plain_string_end(size_t j) const {
    constexpr uint64_t kOnes = 0x0101010101010101;
    constexpr uint64_t kHighs = 0x8080808080808080;
    // Bytes below n, for words without high bits: (x - n) borrows into the
    // high bit exactly for them (the usual "has a zero byte" test).
    const auto below = [](uint64_t x, uint64_t n) { return (x - kOnes * n) & ~x & kHighs; };
    while (j + 8 <= text.size()) {
      uint64_t w = 0;
      std::memcpy(&w, text.data() + j, 8);
      const uint64_t special = (w & kHighs) | below(w, 0x20) | below(w ^ (kOnes * '"'), 1) |
                               below(w ^ (kOnes * '\\'), 1) | below(w ^ (kOnes * 0x7f), 1);
      if (special != 0) break;
      j += 8;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    while (j < text.size() && kPlainStringByte[bytes[j]]) ++j;
    return j;
  }

  // A member's key, the colon and the whitespace up to its value.
  bool key() {
    if (!at('"')) return false;
    key_offset = static_cast<uint32_t>(i);
    if (!string(key_pos, key_len)) return false;
    skip_ws();
    if (!at(':')) return false;
    ++i;
    skip_ws();
    have_key = true;
    return true;
  }

  // Appends the node of a value that starts at `offset`, as
  // JsonTapeBuilder::add and record_offsets do; nullptr past the limit.
  // The node is built in place: the tape is the hot path's only output.
  Node* add(JsonKind kind, size_t offset) {
    if (doc.nodes_.size() >= limits.max_values) return nullptr;
    const auto end = static_cast<uint32_t>(doc.nodes_.size() + 1);
    const bool member = have_key;
    if (!open.empty()) doc.nodes_[open.back()].count++;
    have_key = false;
    Node& n = doc.nodes_.emplace_back();
    n.kind = kind;
    n.offset = static_cast<uint32_t>(offset);
    n.end = end;
    if (member) {
      n.key_offset = key_offset;
      n.key_pos = key_pos;
      n.key_len = key_len;
    }
    return &n;
  }

  bool literal(std::string_view word, JsonKind kind, bool flag) {
    if (text.substr(i, word.size()) != word) return false;
    Node* n = add(kind, i);
    if (n == nullptr) return false;
    n->flag = flag;
    i += word.size();
    return true;
  }

  bool number() {
    size_t j = i;
    uint64_t value = 0;
    if (text[j] == '0') {
      ++j;
    } else {
      while (j < text.size() && text[j] >= '0' && text[j] <= '9')
        value = value * 10 + static_cast<uint64_t>(text[j++] - '0');
      if (j - i > kMaxPlainDigits) return false;
    }
    // A fraction, an exponent or a leading zero: Boost's.
    if (j < text.size() && (text[j] == '.' || text[j] == 'e' || text[j] == 'E' || (text[j] >= '0' && text[j] <= '9')))
      return false;
    Node* n = add(JsonKind::kNumber, i);
    if (n == nullptr) return false;
    n->flag = true;
    n->bits = value;
    n->text_pos = static_cast<uint32_t>(i);
    n->text_len = static_cast<uint32_t>(j - i);
    i = j;
    return true;
  }

  // A container's opening bracket. An empty container is complete at once;
  // otherwise it stays open and `i` is left at its first value (after the
  // key, for an object).
  bool container(bool object, bool& opened) {
    if (open.size() >= limits.max_depth) return false;
    if (add(object ? JsonKind::kObject : JsonKind::kArray, i) == nullptr) return false;
    const auto index = static_cast<uint32_t>(doc.nodes_.size() - 1);
    ++i;
    skip_ws();
    if (at(object ? '}' : ']')) {
      ++i;
      return true;
    }
    open.push_back(index);
    opened = true;
    return !object || key();
  }

  // The value starting at `i`: scalars whole, containers as container() says.
  bool value(bool& opened) {
    if (i >= text.size()) return false;
    const char c = text[i];
    switch (c) {
      case '{': return container(true, opened);
      case '[': return container(false, opened);
      case '"': {
        const size_t quote = i;
        uint32_t pos = 0;
        uint32_t len = 0;
        if (!string(pos, len)) return false;
        Node* n = add(JsonKind::kString, quote);
        if (n == nullptr) return false;
        n->text_pos = pos;
        n->text_len = len;
        return true;
      }
      case 't': return literal("true", JsonKind::kBool, true);
      case 'f': return literal("false", JsonKind::kBool, false);
      case 'n': return literal("null", JsonKind::kNull, false);
      default: return c >= '0' && c <= '9' && number();
    }
  }

  // After a complete value: the comma and the next key, or the brackets
  // that close. Returns false outside plain JSON; `done` when the root is
  // complete.
  bool after_value(bool& done) {
    while (!open.empty()) {
      skip_ws();
      if (i >= text.size()) return false;
      JsonDoc::Node& parent = doc.nodes_[open.back()];
      const bool object = parent.kind == JsonKind::kObject;
      const char c = text[i];
      if (c == ',') {
        ++i;
        skip_ws();
        return !object || key();
      }
      if (c != (object ? '}' : ']')) return false;
      ++i;
      parent.end = static_cast<uint32_t>(doc.nodes_.size());
      open.pop_back();
    }
    skip_ws();
    done = true;
    return i == text.size();  // anything after the value is Boost's to report
  }

  bool run() {
    // Plain strings and numbers are the text as written: the pool is the
    // text, and each value names its place in it.
    doc.pool_.assign(text);
    line_starts.reserve(std::min(text.size() / 8 + 16, size_t{1} << 16));
    skip_ws();
    for (bool done = false; !done;) {
      bool opened = false;
      if (!value(opened)) return false;
      if (!opened && !after_value(done)) return false;
    }
    doc.lines_ = LineIndex(std::move(line_starts));
    return true;
  }
};

bool scan_plain_json(std::string_view text, const JsonLimits& limits, JsonDoc& doc) {
  return PlainJsonScanner(text, limits, doc).run();
}

}  // namespace sysfence::profile
