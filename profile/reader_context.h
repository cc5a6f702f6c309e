// What every part of the profile reader shares (internal to //profile):
// JSON pointers spelled out only for messages, Go-style field matching,
// positioned errors and strict findings, and the typed value getters that
// check a value's kind and spelling. reader.cc walks the profile schema with
// them.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/text.h"
#include "profile/json_doc.h"
#include "profile/profile.h"
#include "profile/reader.h"
#include "syscalls/edit_distance.h"

namespace sysfence::profile::reader_detail {

// "null", "a boolean", "a number", "a string", "an array", "an object".
std::string_view article_kind(JsonKind k);

// A JSON pointer that is spelled out only when a message needs it: each
// level links to its parent on the stack (the reader nests a few levels, so
// str() recurses as deep as that).
class Pointer {
 public:
  explicit Pointer(std::string_view root) : text_(root) {}
  Pointer(const Pointer& parent, std::string_view key) : parent_(&parent), text_(key), is_key_(true) {}
  Pointer(const Pointer& parent, size_t index) : parent_(&parent), index_(index) {}

  std::string str() const;

 private:
  const Pointer* parent_ = nullptr;
  std::string_view text_;  // the root's pointer, or this level's key
  size_t index_ = 0;
  bool is_key_ = false;
};

// The known fields of one object (at most 32, one bit each in a set).
using Fields = std::span<const std::string_view>;

// Where `key` is among `fields` (`index`): an exact match, else an ASCII
// case-insensitive one (Go's order); fields.size() when neither.
struct FieldMatch {
  size_t index = 0;
  bool exact = false;
};
FieldMatch find_field(Fields fields, std::string_view key);

// The reader's state and its value-level helpers; the schema walk derives
// from it.
class ReadContext {
 public:
  ReadContext(const JsonDoc& doc, std::string_view source, ReadResult& out)
      : doc_(doc), source_(source), out_(out), lines_(doc.text()) {}

  // Past the first kMaxFindings strict findings the rest are counted, as
  // unknown syscall names are (profile/resolver.h): half a million made-up
  // keys would otherwise be as many lines on stderr. Appends the count line
  // and returns how many findings there were in all.
  static constexpr size_t kMaxFindings = 256;
  size_t close_findings();

 protected:
  const JsonDoc& doc_;
  std::string_view source_;
  ReadResult& out_;
  // Positions are asked for in document order (an error or a finding may
  // look back a little): a cursor finds them without a line index.
  mutable LineCursor lines_;

  bool oci() const { return out_.profile.format == ProfileFormat::kOciConfig; }

  SourcePos pos_of(uint32_t offset) {
    const TextPos p = lines_.pos(offset);
    return {p.line, p.col};
  }

  std::string located(uint32_t offset, const Pointer& pointer, std::string_view message) const;

  Unexpected<Error> error(JsonRef v, const Pointer& ptr, std::string_view message) const {
    return fail(located(v.offset(), ptr, message));
  }

  static std::string type_message(std::string_view expected, JsonRef v);

  void finding(uint32_t offset, const Pointer& ptr, std::string_view message) {
    if (out_.strict_findings.size() < kMaxFindings) {
      out_.strict_findings.push_back(located(offset, ptr, message));
      return;
    }
    if (unlisted_findings_++ == 0) unlisted_from_ = lines_.pos(offset);
  }
  size_t unlisted_findings_ = 0;
  TextPos unlisted_from_;

  // Calls `on_field(field, value, pointer)` for each recognised member (with
  // the canonical field name), skipping nulls; records everything Go would
  // silently accept or ignore as a strict finding.
  template <typename F>
  Expected<void> for_fields(JsonRef obj, const Pointer& ptr, Fields known, F&& on_field) {
    uint32_t seen = 0;  // bit k: known[k] was given
    JsonRef m = obj.first_child();
    for (uint32_t i = 0; i < obj.size(); ++i, m = m.next_sibling()) {
      const std::string_view key = m.key();
      const Pointer child(ptr, key);
      const auto [k, exact] = find_field(known, key);
      if (k == known.size()) {
        unknown_field(m, child, key, known);
        continue;
      }
      const std::string_view field = known[k];
      if (!exact) case_insensitive_match(m, child, key, field);
      if ((seen & (1u << k)) != 0)
        finding(m.key_offset(), child, fmt::format("field \"{}\" given more than once; the last one wins", field));
      seen |= 1u << k;
      if (m.is(JsonKind::kNull)) continue;  // Go: null leaves the field unset
      if (auto r = on_field(field, m, child); !r) return r;
    }
    return {};
  }

  // Strings are looked at in the document; only what the Profile keeps is
  // copied.
  Expected<std::string_view> get_string(JsonRef v, const Pointer& ptr) const {
    if (!v.is(JsonKind::kString)) return error(v, ptr, type_message("a string", v));
    return v.as_string();
  }

  Expected<uint64_t> get_u64(JsonRef v, const Pointer& ptr) const;
  Expected<std::vector<std::string>> get_strings(JsonRef v, const Pointer& ptr) const;
  Expected<std::vector<std::string>> get_arches(JsonRef v, const Pointer& ptr) const;
  // Architectures are libseccomp names: runc rejects anything else.
  Expected<std::string_view> get_arch(JsonRef v, const Pointer& ptr) const;
  Expected<ProfileAction> get_action(JsonRef v, const Pointer& ptr) const;
  Expected<std::string_view> get_errno_name(JsonRef v, const Pointer& ptr) const;

  // moby's KernelVersion: exactly "<kernel>.<major>", each an 8-bit decimal,
  // not both zero.
  static Expected<syscalls::KernelVersion> parse_min_kernel(std::string_view s);

 private:
  void unknown_field(JsonRef member, const Pointer& ptr, std::string_view key, Fields known);
  void case_insensitive_match(JsonRef member, const Pointer& ptr, std::string_view key, std::string_view field);
};

}  // namespace sysfence::profile::reader_detail
