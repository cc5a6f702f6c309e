// What every part of the profile reader shares (internal to //profile):
// JSON pointers spelled out only for messages, Go-style field matching,
// positioned errors and strict findings, and the typed value getters that
// check a value's kind and spelling. reader.cc walks the profile schema with
// them.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>
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

// The fields of one object (at most 32, one bit each in a set), and which
// of them the profile's format reads (bit k: names[k]): a key that names
// one of the others is unknown, as any other key. A key's length and first
// and last bytes pick one of 32 slots, which names the only field the key
// can equal: a lookup is one comparison where a search compared it with
// each name in turn (Docker's default profile has 273 keys; the lookup is
// 25 instructions a key, the search was 60).
struct Fields {
  static constexpr size_t kSlots = 32;
  static constexpr uint8_t kNoField = 0xFF;
  static constexpr uint8_t kSeveral = 0xFE;  // fields share the slot: search them

  constexpr explicit Fields(std::span<const std::string_view> field_names, uint32_t read_mask = ~0u)
      : names(field_names), read(read_mask) {
    slots.fill(kNoField);
    for (size_t k = 0; k < names.size(); ++k) {
      uint8_t& slot = slots[slot_of(names[k])];
      slot = slot == kNoField ? static_cast<uint8_t>(k) : kSeveral;
    }
  }
  // A non-empty key's slot.
  static constexpr size_t slot_of(std::string_view key) {
    const size_t first = static_cast<unsigned char>(key.front());
    const size_t last = static_cast<unsigned char>(key.back());
    return (key.size() + 2 * first + 3 * last) % kSlots;
  }
  bool reads(size_t k) const { return ((read >> k) & 1u) != 0; }

  std::span<const std::string_view> names;
  uint32_t read;
  std::array<uint8_t, kSlots> slots{};
};

// Where `key` is among the fields read (`index` into names): an exact
// match, else an ASCII case-insensitive one (Go's order); names.size() when
// neither.
struct FieldMatch {
  size_t index = 0;
  bool exact = false;
};
// find_field's way when the key's slot does not settle it: a search of
// every name, exactly and then case-insensitively.
FieldMatch find_field_by_search(const Fields& fields, std::string_view key);

// Whether a key equals a field name of its size. Field names are 2 to 16
// bytes: two overlapping words from each side tell, with no call to memcmp
// (a call, and the registers it makes the caller save, cost more than the
// rest of the lookup); longer keys are left to the search.
inline bool same_size_equal(std::string_view name, std::string_view key) {
  const auto word = [](std::string_view s, size_t at, auto zero) {
    std::memcpy(&zero, s.data() + at, sizeof(zero));
    return zero;
  };
  const size_t n = key.size();
  if (n >= 8 && n <= 16)
    return word(name, 0, uint64_t{}) == word(key, 0, uint64_t{}) &&
           word(name, n - 8, uint64_t{}) == word(key, n - 8, uint64_t{});
  if (n >= 4 && n < 8)
    return word(name, 0, uint32_t{}) == word(key, 0, uint32_t{}) &&
           word(name, n - 4, uint32_t{}) == word(key, n - 4, uint32_t{});
  if (n < 4) return name[0] == key[0] && name[n / 2] == key[n / 2] && name[n - 1] == key[n - 1];
  return false;
}

// The search out of line: the lookup alone needs few registers to save.
inline FieldMatch find_field(const Fields& fields, std::string_view key) {
  if (!key.empty()) {
    const size_t k = fields.slots[Fields::slot_of(key)];
    if (k < fields.names.size() && fields.names[k].size() == key.size() && same_size_equal(fields.names[k], key) &&
        fields.reads(k))
      return {k, true};
  }
  return find_field_by_search(fields, key);
}

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

  // Calls `on_field(k, value, pointer)` for each recognised member, k the
  // index of its field in known.names, skipping nulls; records everything
  // Go would silently accept or ignore as a strict finding. The schema
  // walk switches on k: no string compares beyond find_field's.
  template <typename F>
  Expected<void> for_fields(JsonRef obj, const Pointer& ptr, const Fields& known, F&& on_field) {
    uint32_t seen = 0;  // bit k: known.names[k] was given
    JsonRef m = obj.first_child();
    for (uint32_t i = 0; i < obj.size(); ++i, m = m.next_sibling()) {
      const std::string_view key = m.key();
      const Pointer child(ptr, key);
      const auto [k, exact] = find_field(known, key);
      if (k == known.names.size()) {
        unknown_field(m, child, key, known);
        continue;
      }
      if (!exact) case_insensitive_match(m, child, key, known.names[k]);
      if ((seen & (1u << k)) != 0) repeated_field(m, child, known.names[k]);
      seen |= 1u << k;
      if (m.is(JsonKind::kNull)) continue;  // Go: null leaves the field unset
      if (auto r = on_field(k, m, child); !r) return r;
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
  // An array of strings (null elements read as "", as Go decodes them)
  // into `out`, replacing what it held (an error leaves part of it: the
  // read fails). Returns the index of the first empty one (out.size() when
  // none is).
  Expected<uint32_t> read_strings(JsonRef v, const Pointer& ptr, std::vector<std::string>& out) const;
  Expected<std::vector<std::string>> get_arches(JsonRef v, const Pointer& ptr) const;
  // Architectures are libseccomp names: runc rejects anything else.
  Expected<std::string_view> get_arch(JsonRef v, const Pointer& ptr) const;
  Expected<ProfileAction> get_action(JsonRef v, const Pointer& ptr) const;
  Expected<std::string_view> get_errno_name(JsonRef v, const Pointer& ptr) const;

  // moby's KernelVersion: exactly "<kernel>.<major>", each an 8-bit decimal,
  // not both zero.
  static Expected<syscalls::KernelVersion> parse_min_kernel(std::string_view s);

 private:
  void unknown_field(JsonRef member, const Pointer& ptr, std::string_view key, const Fields& known);
  void case_insensitive_match(JsonRef member, const Pointer& ptr, std::string_view key, std::string_view field);
  void repeated_field(JsonRef member, const Pointer& ptr, std::string_view field);
};

}  // namespace sysfence::profile::reader_detail
