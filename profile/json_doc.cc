#include "profile/json_doc.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <cassert>
#include <charconv>
#include <cstring>
#include <optional>

namespace sysfence::profile {

std::string_view to_string(JsonKind k) {
  switch (k) {
    case JsonKind::kNull: return "null";
    case JsonKind::kBool: return "boolean";
    case JsonKind::kNumber: return "number";
    case JsonKind::kString: return "string";
    case JsonKind::kArray: return "array";
    case JsonKind::kObject: return "object";
  }
  return "value";
}

// ---------------------------------------------------------------------------
// LineCursor
// ---------------------------------------------------------------------------

namespace {

using Bytes = uint8_t __attribute__((vector_size(16)));
constexpr size_t kBlock = sizeof(Bytes);

// 0xFF in the lanes of the sixteen bytes at `p` that are newlines, else 0.
Bytes newline_lanes(const char* p) {
  Bytes block;
  std::memcpy(&block, p, kBlock);
  return reinterpret_cast<Bytes>(block == '\n');
}

// The sum of the sixteen byte lanes, with no carries between them: pairs
// of lanes into 16-bit lanes, which one multiply adds up.
size_t sum_lanes(Bytes lanes) {
  constexpr uint64_t kLowBytes = 0x00FF00FF00FF00FF;
  uint64_t half[2];
  std::memcpy(half, &lanes, sizeof(half));
  const uint64_t pairs = (half[0] & kLowBytes) + ((half[0] >> 8) & kLowBytes) + (half[1] & kLowBytes) +
                         ((half[1] >> 8) & kLowBytes);  // each at most 4 * 255
  return static_cast<size_t>((pairs * 0x0001000100010001) >> 48);
}

// The newlines in [p, end), which lie in `text`. Sixteen bytes per step,
// four steps per loop, each lane counting up to 255 matches before the
// lanes are summed; the bytes short of a block are counted in the block
// that ends at `end` (or starts the text), masked to [p, end). Counting
// line by line with memchr costs a call per line, and profile lines are
// short (Docker's default averages 15 bytes); the reader asks for about 50
// positions in it, so what a call costs besides its blocks matters too
// (the lanes were summed one by one, and the last bytes counted one by
// one: about 100 instructions a call, now about 30).
size_t count_newlines(std::string_view text, const char* p, const char* end) {
  if (text.size() < kBlock) return static_cast<size_t>(std::count(p, end, '\n'));
  constexpr size_t kMaxSteps = 252;  // lane counts stay below 256
  size_t count = 0;
  Bytes matches{};  // a match is all ones: subtracting it adds 1
  size_t steps = 0;
  for (; static_cast<size_t>(end - p) >= 4 * kBlock; p += 4 * kBlock) {
    matches -= newline_lanes(p);
    matches -= newline_lanes(p + kBlock);
    matches -= newline_lanes(p + 2 * kBlock);
    matches -= newline_lanes(p + 3 * kBlock);
    if ((steps += 4) == kMaxSteps) {
      count += sum_lanes(matches);
      matches = Bytes{};
      steps = 0;
    }
  }
  for (; static_cast<size_t>(end - p) >= kBlock; p += kBlock) matches -= newline_lanes(p);
  if (p < end) {
    const char* block = std::max(end - kBlock, text.data());
    constexpr Bytes kLane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const auto first = static_cast<uint8_t>(p - block);
    const auto last = static_cast<uint8_t>(end - block);
    matches -= newline_lanes(block) & reinterpret_cast<Bytes>((kLane >= first) & (kLane < last));
  }
  return count + sum_lanes(matches);
}

}  // namespace

TextPos LineCursor::pos(size_t offset) {
  offset = std::min(offset, text_.size());
  const char* const begin = text_.data();
  // Back: line by line to the one holding `offset`.
  while (offset < line_start_) {
    --line_;
    size_t start = line_start_ - 1;  // the newline that ends the line before
    while (start > 0 && begin[start - 1] != '\n') --start;
    line_start_ = start;
  }
  scanned_ = std::max(scanned_, line_start_);
  if (offset < scanned_) scanned_ = line_start_;
  // Forward: count the newlines in between, then find the last of them.
  if (offset > scanned_) {
    const size_t newlines = count_newlines(text_, begin + scanned_, begin + offset);
    if (newlines != 0) {
      line_ += static_cast<uint32_t>(newlines);
      const void* last = memrchr(begin + scanned_, '\n', offset - scanned_);
      line_start_ = static_cast<size_t>(static_cast<const char*>(last) - begin) + 1;
    }
  }
  scanned_ = offset;
  return {line_, static_cast<uint32_t>(offset - line_start_ + 1)};
}

// ---------------------------------------------------------------------------
// JsonRef
// ---------------------------------------------------------------------------

JsonRef JsonRef::element(uint32_t i) const {
  uint32_t child = index_ + 1;
  for (uint32_t k = 0; k < i; ++k) child = doc_->node(child).end;
  return JsonRef(doc_, child);
}

std::vector<JsonRef> JsonRef::elements() const {
  std::vector<JsonRef> out;
  const auto& n = doc_->node(index_);
  out.reserve(n.size);
  for (uint32_t child = index_ + 1, k = 0; k < n.size; ++k) {
    out.emplace_back(doc_, child);
    child = doc_->node(child).end;
  }
  return out;
}

std::vector<JsonRef::Member> JsonRef::members() const {
  std::vector<Member> out;
  const auto& n = doc_->node(index_);
  out.reserve(n.size);
  for (uint32_t child = index_ + 1, k = 0; k < n.size; ++k) {
    const auto& c = doc_->node(child);
    out.push_back(Member{doc_->key_of(c), c.key_offset, JsonRef(doc_, child)});
    child = c.end;
  }
  return out;
}

// The parser said the literal is an integer that fits: reading it back
// cannot fail. (A negative one reads as its two's complement.)
uint64_t JsonRef::as_u64() const {
  if (number_is_negative()) return static_cast<uint64_t>(as_i64());
  const std::string_view t = number_text();
  uint64_t value = 0;
  std::from_chars(t.data(), t.data() + t.size(), value);
  return value;
}

int64_t JsonRef::as_i64() const {
  const std::string_view t = number_text();
  int64_t value = 0;
  std::from_chars(t.data(), t.data() + t.size(), value);
  return value;
}

// ---------------------------------------------------------------------------
// Parsing: Boost.JSON basic_parser with a handler that fills the tape
// ---------------------------------------------------------------------------

namespace {

// One compare and one bit test: the placement walks over whitespace around
// every container.
bool is_ws(char c) {
  constexpr uint64_t kWhitespace =
      (uint64_t{1} << ' ') | (uint64_t{1} << '\t') | (uint64_t{1} << '\n') | (uint64_t{1} << '\r');
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' && ((kWhitespace >> u) & 1) != 0;
}

constexpr uint32_t kUnplaced = UINT32_MAX;

}  // namespace

// Fills the tape while Boost parses, and places each value and key in the
// text (see json_doc.h): `unplaced` counts the nodes not placed yet (a
// container is placed when it ends), `placed_all` turns false for a shape
// the handler cannot place.
// A string, the commonest value, costs an inline append: the rare steps
// (escapes, growing the tape, placing containers) are out of line, which
// also keeps the parser's string loop from saving registers for them.
struct JsonTapeBuilder {
  using error_code = boost::json::error_code;
  using string_view = boost::json::string_view;
  using Node = JsonDoc::Node;

  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  // The tape starts with room for `room` nodes (at most `limit`).
  JsonTapeBuilder(JsonDoc* d, size_t room, size_t limit) : doc(d), text(d->text_), max_values(limit), capacity(room) {
    doc->nodes_ = std::make_unique_for_overwrite<Node[]>(capacity);
    nodes = doc->nodes_.get();
  }

  JsonDoc* doc;
  std::string_view text;
  size_t max_values;
  Node* nodes;                        // doc->nodes_
  size_t capacity;                    // nodes allocated, at most max_values
  uint32_t count = 0;                 // nodes written
  uint32_t innermost = kNoContainer;  // the open container values are added to
  bool too_many_values = false;
  bool placed_all = true;
  size_t unplaced = 0;

  // The key of the member whose value comes next.
  bool have_key = false;
  bool key_in_pool = false;
  uint32_t key_pos = 0, key_len = 0;
  uint32_t key_offset = 0;  // the key's opening quote
  uint32_t key_end = 0;     // one past its closing quote
  bool in_key = false, in_string = false;
  uint32_t part_start = 0;
  std::string number;

  static constexpr uint32_t kNoContainer = UINT32_MAX;  // the outermost container's link

  uint32_t offset_of(const char* p) const { return static_cast<uint32_t>(p - text.data()); }
  // Whether the parser handed over `s` where it stands in the text, rather
  // than from its own buffer (a string with escapes, decoded there). The
  // two never overlap: where `s` starts tells.
  bool in_text(string_view s) const {
    return reinterpret_cast<uintptr_t>(s.data()) - reinterpret_cast<uintptr_t>(text.data()) < text.size();
  }
  uint32_t pool_size() const { return static_cast<uint32_t>(doc->pool_.size()); }

  uint32_t skip_ws(uint32_t i) const {
    while (i < text.size() && is_ws(text[i])) ++i;
    return i;
  }

  // A container the parser did not place (an array element) starts just
  // before its first child, or an object's first key: once it ends, that
  // child (a container itself, then placed already) is where to look from.
  // Placing it there rather than when its first child comes costs one test
  // per container instead of one per value.
  [[gnu::noinline]] void place_container(uint32_t index) {
    Node& c = nodes[index];
    const Node& first = nodes[index + 1];
    uint32_t anchor = first.offset;
    if (c.kind == JsonKind::kObject) anchor = first.key_in_pool ? kUnplaced : first.key_offset;
    if (anchor == kUnplaced) return;  // the position pass will
    uint32_t i = anchor;
    while (i > 0 && is_ws(text[i - 1])) --i;
    c.offset = i - 1;  // the parser accepted the text: '[' or '{'
    --unplaced;
  }

  // Where a member's value starts when the parser did not say: after its
  // key's colon (kUnplaced when the key itself was not placed).
  [[gnu::noinline]] uint32_t value_after_key() const {
    const uint32_t colon = skip_ws(key_end);
    return colon < text.size() && text[colon] == ':' ? skip_ws(colon + 1) : kUnplaced;
  }

  // A full tape grows (doubling, up to max_values); past max_values the
  // parse stops.
  [[gnu::noinline]] bool grow(error_code& ec) {
    if (capacity >= max_values) {
      too_many_values = true;
      ec = boost::json::error::exception;
      return false;
    }
    capacity = std::min(max_values, capacity * 2 + 16);
    auto bigger = std::make_unique_for_overwrite<Node[]>(capacity);
    std::copy_n(nodes, count, bigger.get());
    doc->nodes_ = std::move(bigger);
    nodes = doc->nodes_.get();
    return true;
  }

  [[gnu::noinline]] void note_unplaced(JsonKind kind) {
    // Containers are placed from their first child when they end; other
    // values only here.
    if (kind != JsonKind::kArray && kind != JsonKind::kObject) placed_all = false;
    ++unplaced;
  }

  // Appends a node of `kind` and returns it for the caller to fill in its
  // text or children (nullptr past the value limit). `at` is where the value
  // starts when the parser handed over its text directly (kUnplaced
  // otherwise).
  Node* add(JsonKind kind, uint32_t at, error_code& ec) {
    if (count == capacity && !grow(ec)) return nullptr;
    const uint32_t index = count++;
    Node& n = nodes[index];
    if (have_key) {
      have_key = false;
      n.key_in_pool = key_in_pool;
      n.key_offset = key_offset;
      n.key_pos = key_pos;
      n.key_len = key_len;
      if (at == kUnplaced) at = value_after_key();
    } else {
      n.key_in_pool = false;
      n.key_offset = 0;
      n.key_pos = 0;
      n.key_len = 0;
    }
    if (at == kUnplaced) note_unplaced(kind);
    n.kind = kind;
    n.flag = false;
    n.text_in_pool = false;
    n.offset = at;
    n.end = index + 1;
    n.size = 0;
    n.text_pos = 0;
    return &n;
  }

  static bool on_document_begin(error_code&) { return true; }
  static bool on_document_end(error_code&) { return true; }

  bool begin_container(JsonKind k, error_code& ec) {
    Node* n = add(k, kUnplaced, ec);
    if (n == nullptr) return false;
    n->end = innermost;
    innermost = count - 1;
    return true;
  }
  // Boost counts the children.
  bool end_container(std::size_t children) {
    const uint32_t index = innermost;
    Node& c = nodes[index];
    innermost = c.end;
    c.end = count;
    c.size = static_cast<uint32_t>(children);
    if (c.offset == kUnplaced && children != 0) place_container(index);
    return true;
  }
  bool on_array_begin(error_code& ec) { return begin_container(JsonKind::kArray, ec); }
  bool on_array_end(std::size_t n, error_code&) { return end_container(n); }
  bool on_object_begin(error_code& ec) { return begin_container(JsonKind::kObject, ec); }
  bool on_object_end(std::size_t n, error_code&) { return end_container(n); }

  // Escaped strings arrive in parts (the unescaped runs and the decoded
  // escapes) and are copied into the pool.
  [[gnu::noinline]] bool on_string_part(string_view s, std::size_t, error_code&) {
    if (!in_string) {
      in_string = true;
      part_start = pool_size();
    }
    doc->pool_.append(s.data(), s.size());
    return true;
  }
  [[gnu::noinline]] bool add_pooled_string(string_view s, error_code& ec) {
    if (!in_string) part_start = pool_size();
    in_string = false;
    doc->pool_.append(s.data(), s.size());
    Node* n = add(JsonKind::kString, kUnplaced, ec);
    if (n == nullptr) return false;
    n->text_in_pool = true;
    n->text_pos = part_start;
    n->size = pool_size() - part_start;
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code& ec) {
    if (in_string || !in_text(s)) [[unlikely]]
      return add_pooled_string(s, ec);
    const uint32_t pos = offset_of(s.data());
    Node* n = add(JsonKind::kString, pos - 1, ec);
    if (n == nullptr) return false;
    n->text_pos = pos;
    n->size = static_cast<uint32_t>(s.size());
    return true;
  }
  [[gnu::noinline]] bool on_key_part(string_view s, std::size_t, error_code&) {
    if (!in_key) {
      in_key = true;
      part_start = pool_size();
    }
    doc->pool_.append(s.data(), s.size());
    return true;
  }
  [[gnu::noinline]] void pool_key(string_view s) {
    if (!in_key) part_start = pool_size();
    in_key = false;
    doc->pool_.append(s.data(), s.size());
    key_in_pool = true;
    key_pos = part_start;
    key_len = pool_size() - part_start;
    // Neither the key nor its value is placed; the position pass will.
    placed_all = false;
    key_offset = 0;
    key_end = static_cast<uint32_t>(text.size());
  }
  bool on_key(string_view s, std::size_t, error_code&) {
    have_key = true;
    if (in_key || !in_text(s)) [[unlikely]] {
      pool_key(s);
      return true;
    }
    key_in_pool = false;
    key_pos = offset_of(s.data());
    key_len = static_cast<uint32_t>(s.size());
    key_offset = key_pos - 1;
    key_end = key_pos + key_len + 1;
    return true;
  }

  bool on_number_part(string_view s, error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  [[gnu::noinline]] bool add_number(string_view s, bool integer, error_code& ec) {
    const bool direct = number.empty() && in_text(s);
    Node* n = add(JsonKind::kNumber, direct ? offset_of(s.data()) : kUnplaced, ec);
    if (n == nullptr) return false;
    n->flag = integer;
    if (direct) {
      n->text_pos = offset_of(s.data());
      n->size = static_cast<uint32_t>(s.size());
      return true;
    }
    number.append(s.data(), s.size());
    n->text_in_pool = true;
    n->text_pos = pool_size();
    doc->pool_.append(number);
    n->size = static_cast<uint32_t>(number.size());
    number.clear();
    return true;
  }
  bool on_int64(int64_t, string_view s, error_code& ec) { return add_number(s, true, ec); }
  bool on_uint64(uint64_t, string_view s, error_code& ec) { return add_number(s, true, ec); }
  bool on_double(double, string_view s, error_code& ec) { return add_number(s, false, ec); }

  bool on_bool(bool b, error_code& ec) {
    Node* n = add(JsonKind::kBool, kUnplaced, ec);
    if (n != nullptr) n->flag = b;
    return n != nullptr;
  }
  bool on_null(error_code& ec) { return add(JsonKind::kNull, kUnplaced, ec) != nullptr; }
  static bool on_comment_part(string_view, error_code&) { return true; }
  static bool on_comment(string_view, error_code&) { return true; }
};

namespace {

// Second pass over text that Boost has already accepted: records the byte
// offset of every value (pre-order, the same order the handler saw them) and
// of every object key. Iterative; the container stack is bounded by the
// depth limit the parser enforced.
void record_offsets(std::string_view text, std::span<JsonDoc::Node> nodes) {
  enum class State { kValue, kKey, kAfter };
  std::vector<bool> stack;  // true = object
  size_t i = 0;
  size_t k = 0;
  const size_t n = text.size();
  auto skip_ws = [&] {
    while (i < n && is_ws(text[i])) ++i;
  };
  auto skip_string = [&] {  // at the opening quote
    ++i;
    while (true) {
      // Plain characters first: a loop whose only carried dependency is i.
      while (i < n && text[i] != '"' && text[i] != '\\') ++i;
      if (i >= n || text[i] == '"') break;
      i += 2;  // a backslash and the character it escapes
    }
    ++i;
  };
  State st = State::kValue;
  while (i < n && k <= nodes.size()) {
    if (st == State::kValue) {
      skip_ws();
      if (i >= n || k >= nodes.size()) return;
      nodes[k++].offset = static_cast<uint32_t>(i);
      const char c = text[i];
      if (c == '{' || c == '[') {
        ++i;
        skip_ws();
        if (i < n && (text[i] == '}' || text[i] == ']')) {
          ++i;
          st = State::kAfter;
        } else {
          stack.push_back(c == '{');
          st = c == '{' ? State::kKey : State::kValue;
        }
      } else if (c == '"') {
        skip_string();
        st = State::kAfter;
      } else {
        while (i < n && !is_ws(text[i]) && text[i] != ',' && text[i] != ']' && text[i] != '}') ++i;
        st = State::kAfter;
      }
    } else if (st == State::kKey) {
      skip_ws();
      if (i >= n || k >= nodes.size()) return;
      const auto key_offset = static_cast<uint32_t>(i);
      skip_string();
      skip_ws();
      ++i;  // ':'
      nodes[k].key_offset = key_offset;
      st = State::kValue;
    } else {  // kAfter
      if (stack.empty()) return;
      skip_ws();
      if (i >= n) return;
      const char c = text[i++];
      if (c == ',') {
        st = stack.back() ? State::kKey : State::kValue;
      } else {  // '}' or ']'
        stack.pop_back();
        st = State::kAfter;
      }
    }
  }
}

std::string describe_byte(std::string_view text, size_t offset) {
  if (offset >= text.size()) return "unexpected end of input";
  const auto c = static_cast<unsigned char>(text[offset]);
  // Editors on Windows save a byte-order mark in front of the text. It is
  // valid UTF-8, but JSON has no place for it, and Docker (Go's
  // encoding/json) refuses such a profile too: say what it is.
  if (text.substr(offset).starts_with("\xEF\xBB\xBF")) {
    return "a UTF-8 byte-order mark (bytes EF BB BF), which JSON does not allow (Docker refuses it too); "
           "save the file without it";
  }
  if (c >= 0x80) return fmt::format("invalid UTF-8 byte 0x{:02X}", c);
  if (c < 0x20 || c == 0x7f) return fmt::format("unexpected control character 0x{:02X}", c);
  return fmt::format("unexpected character '{}'", static_cast<char>(c));
}

// Where a parse stopped with a syntax error: at the byte after a \uD800..
// \uDBFF escape (or after the backslash following one) that wants a
// trailing surrogate escape. Boost.JSON reports that as a plain syntax
// error at the next byte, which reads as if that byte were the mistake
// (a lone leading surrogate before the closing quote: "unexpected
// character '\"'"). Returns the offset of the escape's backslash.
std::optional<size_t> lone_leading_surrogate(std::string_view text, size_t offset) {
  constexpr size_t kEscape = 6;  // \uXXXX
  for (const size_t end : {offset, offset - 1}) {
    if (end > text.size() || end < kEscape || (end != offset && text[end] != '\\')) continue;
    const size_t at = end - kEscape;
    if (text[at] != '\\' || text[at + 1] != 'u') continue;
    // The backslash starts an escape only after an even number of
    // backslashes: in the JSON text "\\ud800" it ends the escape "\\".
    size_t before = 0;
    while (before < at && text[at - 1 - before] == '\\') ++before;
    if (before % 2 != 0) continue;
    unsigned value = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + at + 2, text.data() + end, value, 16);
    if (ec != std::errc() || ptr != text.data() + end) continue;
    if (value >= 0xd800 && value <= 0xdbff) return at;
  }
  return std::nullopt;
}

}  // namespace

Expected<JsonDoc> JsonDoc::parse(std::string_view text, std::string_view name, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    return fail(
        fmt::format("{}: input is {} bytes, larger than the limit of {} bytes", name, text.size(), limits.max_bytes));
  JsonDoc doc;
  doc.text_ = text;
  // Profiles hold one value per 9..23 bytes (Docker's default: 18.7, the
  // generated ones of the scaling benchmarks 11..13): one allocation, no
  // regrowth (the guess is capped so that a huge input does not reserve for
  // values it may not have). The pool holds only escaped strings, rare in
  // profiles: it grows as needed.
  const size_t room = std::min({text.size() / 8 + 16, limits.max_values, size_t{1} << 16});
  boost::json::parse_options opts;
  opts.max_depth = limits.max_depth;
  boost::json::basic_parser<JsonTapeBuilder> parser(opts, &doc, room, limits.max_values);
  boost::json::error_code ec;
  const size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    namespace bj = boost::json;
    if (const auto escape = ec == bj::error::syntax ? lone_leading_surrogate(text, used) : std::nullopt) {
      const TextPos p = doc.pos(*escape);
      return fail(
          fmt::format("{}:{}:{}: invalid JSON: invalid \\u escape (leading surrogate {} is not followed by a "
                      "trailing surrogate \\udc00..\\udfff)",
                      name, p.line, p.col, text.substr(*escape, 6)));
    }
    const TextPos p = doc.pos(used);
    std::string what;
    if (parser.handler().too_many_values) what = fmt::format("more than {} values in one document", limits.max_values);
    else if (ec == bj::error::too_deep) what = fmt::format("nesting deeper than {} levels", limits.max_depth);
    else if (ec == bj::error::incomplete) what = "unexpected end of input";
    else if (ec == bj::error::extra_data) what = "unexpected data after the JSON value";
    else if (ec == bj::error::exponent_overflow) what = "number exponent out of range";
    else if (ec == bj::error::illegal_leading_surrogate || ec == bj::error::illegal_trailing_surrogate ||
             ec == bj::error::expected_hex_digit || ec == bj::error::expected_utf16_escape)
      what = fmt::format("invalid \\u escape ({})", ec.message());
    else what = describe_byte(text, used);
    return fail(fmt::format("{}:{}:{}: invalid JSON: {}", name, p.line, p.col, what));
  }
  // write_some stops after one complete value; anything but whitespace
  // after it is an error (as for Go's json.Unmarshal).
  size_t rest = used;
  while (rest < text.size() && is_ws(text[rest])) ++rest;
  if (rest < text.size()) {
    const TextPos p = doc.pos(rest);
    return fail(fmt::format("{}:{}:{}: invalid JSON: unexpected data after the JSON value", name, p.line, p.col));
  }
  doc.node_count_ = parser.handler().count;
  if (doc.node_count_ == 0) return fail(fmt::format("{}:1:1: invalid JSON: empty document", name));
  if (!parser.handler().placed_all || parser.handler().unplaced != 0)
    record_offsets(text, {doc.nodes_.get(), doc.node_count_});
  return doc;
}

}  // namespace sysfence::profile
