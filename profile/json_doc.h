// A read-only JSON document that remembers where every value came from.
//
// Boost.JSON's basic_parser validates the text and reports syntax errors with
// the byte offset at which it stopped; a custom handler records the values
// into a flat "tape" (pre-order, one node per value). basic_parser does not
// tell its handler where a value starts, but the strings and numbers it hands
// over point into the text, and everything else is a few whitespace bytes
// from one of them (an object member's value follows its key; a container's
// opening bracket precedes its first child), so the handler places every
// value and key while parsing. Shapes it cannot place that way (escaped keys,
// literals or empty containers as array elements) send the already validated
// text through a second, iterative pass that records every offset.
// Positions turn into "line:col" through LineCursor.
//
// Strings and number literals are views of the text when they can be (no
// escapes); the rest are copied into a pool. A JsonDoc therefore refers to
// the text it was parsed from: the text must outlive it.
//
// Bounds: the input size, the nesting depth and the number of values are
// limited (JsonLimits); nothing here recurses, so hostile input costs at most
// linear time and memory proportional to the limits.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace sysfence::profile {

struct JsonLimits {
  size_t max_bytes = 16u << 20;  // 16 MiB
  unsigned max_depth = 64;       // nested arrays/objects
  size_t max_values = 1u << 20;  // values in the whole document
};

enum class JsonKind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

// "null", "boolean", "number", "string", "array", "object".
std::string_view to_string(JsonKind k);

// 1-based line and column (columns count bytes, as compilers do).
struct TextPos {
  uint32_t line = 0;
  uint32_t col = 0;
};

// Maps byte offsets to line:col for a walk over the text: each lookup costs
// the distance from the previous one (forward or back), so asking in
// document order costs one pass over the text in all, and no index is built.
class LineCursor {
 public:
  LineCursor() = default;
  explicit LineCursor(std::string_view text) : text_(text) {}
  TextPos pos(size_t offset);

 private:
  std::string_view text_;
  size_t scanned_ = 0;     // newlines before here are counted (>= line_start_)
  size_t line_start_ = 0;  // the start of the line `scanned_` is on
  uint32_t line_ = 1;
};

class JsonDoc;

// A value in a JsonDoc: a cheap handle (document pointer + node index).
class JsonRef {
 public:
  JsonRef() = default;
  JsonRef(const JsonDoc* doc, uint32_t index) : doc_(doc), index_(index) {}

  JsonKind kind() const;
  bool is(JsonKind k) const { return kind() == k; }
  uint32_t offset() const;  // byte offset of the value's first character

  bool as_bool() const;
  std::string_view as_string() const;  // unescaped string contents
  // Numbers: the literal as written, whether Boost parsed it as a 64-bit
  // integer, and that integer (read back from the literal).
  std::string_view number_text() const;
  bool number_is_integer() const;   // no fraction/exponent and in 64-bit range
  bool number_is_negative() const;  // written with a leading '-'
  uint64_t as_u64() const;          // valid when integer and not negative
  int64_t as_i64() const;           // valid when integer and negative

  // Containers.
  uint32_t size() const;              // elements / members
  JsonRef element(uint32_t i) const;  // arrays: O(i) walk
  // Children without allocating: first_child() of a non-empty container,
  // then next_sibling() size() - 1 times.
  JsonRef first_child() const { return JsonRef(doc_, index_ + 1); }
  JsonRef next_sibling() const;
  // Object members: the key and the byte offset of its opening quote.
  std::string_view key() const;
  uint32_t key_offset() const;
  // Objects: members in document order, duplicates kept.
  struct Member;
  std::vector<Member> members() const;
  std::vector<JsonRef> elements() const;

  uint32_t index() const { return index_; }

 private:
  const JsonDoc* doc_ = nullptr;
  uint32_t index_ = 0;
};

struct JsonRef::Member {
  std::string_view key;
  uint32_t key_offset;  // byte offset of the key's opening quote
  JsonRef value;
};

class JsonDoc {
 public:
  JsonRef root() const { return JsonRef(this, 0); }
  // One position (it counts the lines before it; walks use a LineCursor).
  TextPos pos(size_t offset) const { return LineCursor(text_).pos(offset); }
  std::string_view text() const { return text_; }

  // Parses `text`, which must outlive the result. Errors read
  // "NAME:LINE:COL: invalid JSON: MESSAGE".
  static Expected<JsonDoc> parse(std::string_view text, std::string_view name, const JsonLimits& limits = {});

  // Implementation detail shared with the parser handler and JsonRef. 32
  // bytes, written once per value (Docker's default: 720 values, 23 KiB):
  // a number's value is read back from its literal, a number's sign is its
  // first character, and a value has either children or text.
  struct Node {
    JsonKind kind;
    bool flag;          // bool value; for numbers: "is integer" (no fraction/exponent, fits 64 bits)
    bool text_in_pool;  // string contents / number literal: in `pool_`, else in the text
    bool key_in_pool;   // the same for the key
    uint32_t offset;    // value start
    // Index one past this node's subtree. While the parser is inside a
    // container, the container's `end` holds the index of the container
    // around it (the open containers form a stack through them).
    uint32_t end;
    // Containers: number of children; strings and numbers: length of the
    // text; null and booleans: 0 (their text reads as "").
    uint32_t size;
    uint32_t text_pos;    // string contents / number literal
    uint32_t key_offset;  // key start when this node is an object member (else 0)
    uint32_t key_pos;     // the key when an object member (else empty)
    uint32_t key_len;
  };

  std::span<const Node> nodes() const { return {nodes_.get(), node_count_}; }
  const Node& node(uint32_t index) const { return nodes_[index]; }
  // A node's string contents or number literal, and its key.
  std::string_view text_of(const Node& n) const { return chars(n.text_in_pool, n.text_pos, n.size); }
  std::string_view key_of(const Node& n) const { return chars(n.key_in_pool, n.key_pos, n.key_len); }

 private:
  friend struct JsonTapeBuilder;
  std::string_view chars(bool in_pool, uint32_t pos, uint32_t len) const {
    // pos and len were taken from the pool or the text when the node was made.
    return {(in_pool ? pool_.data() : text_.data()) + pos, len};
  }
  // Allocated for a guess at the number of values and never initialised
  // beyond the first node_count_.
  std::unique_ptr<Node[]> nodes_;
  uint32_t node_count_ = 0;
  std::string_view text_;  // what was parsed
  std::string pool_;       // strings with escapes, number literals split by the parser
};

// The accessors are inline: the reader calls them once or more per value.
inline JsonKind JsonRef::kind() const { return doc_->node(index_).kind; }
inline uint32_t JsonRef::offset() const { return doc_->node(index_).offset; }
inline bool JsonRef::as_bool() const { return doc_->node(index_).flag; }
inline std::string_view JsonRef::as_string() const { return doc_->text_of(doc_->node(index_)); }
inline std::string_view JsonRef::number_text() const { return as_string(); }
inline bool JsonRef::number_is_integer() const { return doc_->node(index_).flag; }
inline bool JsonRef::number_is_negative() const { return number_text().starts_with('-'); }
inline uint32_t JsonRef::size() const { return doc_->node(index_).size; }
inline JsonRef JsonRef::next_sibling() const { return JsonRef(doc_, doc_->node(index_).end); }
inline std::string_view JsonRef::key() const { return doc_->key_of(doc_->node(index_)); }
inline uint32_t JsonRef::key_offset() const { return doc_->node(index_).key_offset; }

}  // namespace sysfence::profile
