#include "profile/reader_context.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/text.h"
#include "profile/errno_names.h"
#include "syscalls/arch.h"
#include "syscalls/edit_distance.h"

namespace sysfence::profile::reader_detail {

namespace {

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// RFC 6901: "~" -> "~0", "/" -> "~1". Control bytes are shown escaped
// ("\n"): the pointer is for messages, which are one line each.
std::string pointer_token(std::string_view key) {
  const bool plain = std::none_of(key.begin(), key.end(), [](char c) {
    return c == '~' || c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (plain) return std::string(key);
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += one_line(std::string_view(&c, 1));
    else out += c;
  }
  return out;
}

std::vector<std::string_view> scmp_arch_names() {
  std::vector<std::string_view> names;
  for (const auto& a : syscalls::all_arches()) names.push_back(a.scmp_name);
  names.emplace_back("SCMP_ARCH_NATIVE");
  return names;
}

bool is_scmp_arch(std::string_view s) {
  if (s == "SCMP_ARCH_NATIVE") return true;
  return std::ranges::any_of(syscalls::all_arches(), [s](const syscalls::Arch& a) { return a.scmp_name == s; });
}

}  // namespace

std::string_view article_kind(JsonKind k) {
  switch (k) {
    case JsonKind::kNull: return "null";
    case JsonKind::kBool: return "a boolean";
    case JsonKind::kNumber: return "a number";
    case JsonKind::kString: return "a string";
    case JsonKind::kArray: return "an array";
    case JsonKind::kObject: return "an object";
  }
  return "a value";
}

std::string Pointer::str() const {
  if (parent_ == nullptr) return std::string(text_);
  std::string out = parent_->str();
  out += '/';
  if (is_key_) out += pointer_token(text_);
  else out += fmt::to_string(index_);
  return out;
}

FieldMatch find_field_by_search(const Fields& fields, std::string_view key) {
  const auto names = fields.names;
  for (size_t k = 0; k < names.size(); ++k)
    if (names[k] == key && fields.reads(k)) return {k, true};
  for (size_t k = 0; k < names.size(); ++k)
    if (iequals(names[k], key) && fields.reads(k)) return {k, false};
  return {names.size(), false};
}

std::string ReadContext::located(uint32_t offset, const Pointer& pointer, std::string_view message) const {
  const TextPos p = lines_.pos(offset);
  const std::string ptr = pointer.str();
  if (ptr.empty()) return fmt::format("{}:{}:{}: {}", source_, p.line, p.col, message);
  return fmt::format("{}:{}:{}: {}: {}", source_, p.line, p.col, ptr, message);
}

size_t ReadContext::close_findings() {
  const size_t listed = out_.strict_findings.size();
  if (unlisted_findings_ == 0) return listed;
  out_.strict_findings.push_back(
      fmt::format("{}:{}:{}: {} more finding{} like the above (unknown fields, keys matched case-insensitively, "
                  "repeated keys) from here on (only the first {} are listed)",
                  source_, unlisted_from_.line, unlisted_from_.col, unlisted_findings_,
                  unlisted_findings_ == 1 ? "" : "s", kMaxFindings));
  return listed + unlisted_findings_;
}

std::string ReadContext::type_message(std::string_view expected, JsonRef v) {
  return fmt::format("expected {}, found {}", expected, article_kind(v.kind()));
}

void ReadContext::unknown_field(JsonRef member, const Pointer& ptr, std::string_view key, const Fields& known) {
  std::vector<std::string_view> read;  // the suggestions: the fields the format reads
  for (size_t k = 0; k < known.names.size(); ++k)
    if (known.reads(k)) read.push_back(known.names[k]);
  const auto near = syscalls::nearest(key, read);
  finding(member.key_offset(), ptr,
          near ? fmt::format("unknown field {} (ignored; did you mean \"{}\"?)", quote(key), *near)
               : fmt::format("unknown field {} (ignored)", quote(key)));
}

void ReadContext::repeated_field(JsonRef member, const Pointer& ptr, std::string_view field) {
  finding(member.key_offset(), ptr, fmt::format("field \"{}\" given more than once; the last one wins", field));
}

void ReadContext::case_insensitive_match(JsonRef member, const Pointer& ptr, std::string_view key,
                                         std::string_view field) {
  finding(member.key_offset(), ptr,
          fmt::format(R"(field "{}" is taken as "{}" (matched case-insensitively, as Go's encoding/json does))", key,
                      field));
}

Expected<uint64_t> ReadContext::get_u64(JsonRef v, const Pointer& ptr) const {
  if (!v.is(JsonKind::kNumber)) return error(v, ptr, type_message("an unsigned integer", v));
  if (v.number_is_negative())
    return error(v, ptr, fmt::format("expected an unsigned integer, found {}", v.number_text()));
  if (!v.number_is_integer()) {
    const auto t = v.number_text();
    if (t.find_first_of(".eE") != std::string_view::npos)
      return error(v, ptr, fmt::format("expected an unsigned integer, found {}", t));
    return error(v, ptr, fmt::format("{} does not fit in 64 bits", t));
  }
  return v.as_u64();
}

Expected<uint32_t> ReadContext::read_strings(JsonRef v, const Pointer& ptr, std::vector<std::string>& out) const {
  if (!v.is(JsonKind::kArray)) return error(v, ptr, type_message("an array of strings", v));
  const uint32_t count = v.size();
  out.clear();
  out.reserve(count);
  uint32_t first_empty = count;
  // The elements checked so far are scalars, so each next one is the next
  // node. The nodes are read through a local pointer: through doc_, each
  // element waited for three loads in a row (the stores into the strings
  // might have changed what doc_ points at).
  const JsonDoc& doc = doc_;
  const JsonDoc::Node* const elements = doc.nodes().data() + v.index() + 1;
  for (uint32_t i = 0; i < count; ++i) {
    const JsonDoc::Node& e = elements[i];
    // Go decodes null into a string element as "" (no effect on the zero
    // value); a null's text reads as "".
    if (e.kind != JsonKind::kString && e.kind != JsonKind::kNull) {
      const JsonRef bad(&doc, v.index() + 1 + i);
      return error(bad, Pointer(ptr, i), type_message("a string", bad));
    }
    const std::string_view s = doc.text_of(e);
    if (s.empty() && first_empty == count) first_empty = i;
    out.emplace_back(s);
  }
  return first_empty;
}

Expected<std::vector<std::string>> ReadContext::get_arches(JsonRef v, const Pointer& ptr) const {
  if (!v.is(JsonKind::kArray)) return error(v, ptr, type_message("an array of strings", v));
  std::vector<std::string> out;
  out.reserve(v.size());
  JsonRef e = v.first_child();
  for (uint32_t i = 0; i < v.size(); ++i, e = e.next_sibling()) {
    auto a = get_arch(e, Pointer(ptr, i));
    if (!a) return fail(a.error().message);
    out.emplace_back(*a);
  }
  return out;
}

Expected<std::string_view> ReadContext::get_arch(JsonRef v, const Pointer& ptr) const {
  auto s = get_string(v, ptr);
  if (!s) return s;
  if (!is_scmp_arch(*s)) {
    // "SCMP_ARCH_AMD64" is nearer SCMP_ARCH_PPC64 by its letters than the
    // x86_64 it means: a spelling of a known ABI gets that ABI's moby name.
    if (const syscalls::Arch* meant = syscalls::find_arch_by_alias(*s)) {
      return error(v, ptr, fmt::format("unknown architecture {} (did you mean \"{}\"?)", quote(*s), meant->scmp_name));
    }
    const auto names = scmp_arch_names();
    return error(v, ptr, fmt::format("unknown architecture {}{}", quote(*s), syscalls::did_you_mean(*s, names)));
  }
  return s;
}

Expected<ProfileAction> ReadContext::get_action(JsonRef v, const Pointer& ptr) const {
  auto s = get_string(v, ptr);
  if (!s) return fail(s.error().message);
  if (auto a = parse_profile_action(*s)) return *a;
  return error(v, ptr,
               fmt::format("unknown action {}{}", quote(*s), syscalls::did_you_mean(*s, profile_action_names())));
}

Expected<std::string_view> ReadContext::get_errno_name(JsonRef v, const Pointer& ptr) const {
  auto s = get_string(v, ptr);
  if (!s) return s;
  if (!s->empty() && !is_errno_name(*s)) {
    std::vector<std::string_view> names;
    for (const auto& e : errno_names(ErrnoFamily::kGeneric)) names.push_back(e.name);
    return error(v, ptr, fmt::format("unknown errno name {}{}", quote(*s), syscalls::did_you_mean(*s, names)));
  }
  return s;
}

Expected<syscalls::KernelVersion> ReadContext::parse_min_kernel(std::string_view s) {
  auto bad = [&](std::string_view why) { return fail(fmt::format("invalid minKernel {}: {}", quote(s), why)); };
  const auto dot = s.find('.');
  if (dot == std::string_view::npos || s.find('.', dot + 1) != std::string_view::npos)
    return bad(R"(expected "<major>.<minor>" such as "5.8")");
  uint32_t parts[2] = {0, 0};
  const std::string_view texts[2] = {s.substr(0, dot), s.substr(dot + 1)};
  for (int i = 0; i < 2; ++i) {
    if (texts[i].empty() || texts[i].size() > 3) return bad(R"(expected "<major>.<minor>" such as "5.8")");
    for (char c : texts[i]) {
      if (c < '0' || c > '9') return bad(R"(expected "<major>.<minor>" such as "5.8")");
      parts[i] = parts[i] * 10 + static_cast<uint32_t>(c - '0');
    }
    if (parts[i] > 255) return bad("each part must be at most 255");
  }
  if (parts[0] == 0 && parts[1] == 0) return bad("the version cannot be 0.0");
  return syscalls::KernelVersion{static_cast<uint16_t>(parts[0]), static_cast<uint16_t>(parts[1])};
}

}  // namespace sysfence::profile::reader_detail
