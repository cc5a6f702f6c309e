#include "profile/reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string>

#include "base/text.h"
#include "profile/errno_names.h"
#include "syscalls/arch.h"
#include "syscalls/edit_distance.h"

namespace sysfence::profile {

namespace {

// The fields each object may carry. Docker profiles are a superset of the OCI
// runtime-spec object; in an OCI config.json moby's extensions (archMap,
// name, comment, includes, excludes, errno names) mean nothing to runc and are
// ignored like any other unknown field.
constexpr std::array<std::string_view, 9> kDockerTop{"defaultAction", "defaultErrnoRet", "defaultErrno",
                                                     "architectures", "archMap",         "syscalls",
                                                     "flags",         "listenerPath",    "listenerMetadata"};
constexpr std::array<std::string_view, 7> kOciTop{"defaultAction", "defaultErrnoRet", "architectures",   "syscalls",
                                                  "flags",         "listenerPath",    "listenerMetadata"};
constexpr std::array<std::string_view, 9> kDockerSyscall{"names", "name",    "action",   "errnoRet", "errno",
                                                         "args",  "comment", "includes", "excludes"};
constexpr std::array<std::string_view, 4> kOciSyscall{"names", "action", "errnoRet", "args"};
constexpr std::array<std::string_view, 4> kArg{"index", "value", "valueTwo", "op"};
constexpr std::array<std::string_view, 3> kFilter{"caps", "arches", "minKernel"};
constexpr std::array<std::string_view, 2> kArchMap{"architecture", "subArchitectures"};

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

// A JSON pointer that is spelled out only when a message needs it: each
// level links to its parent on the stack (the reader nests a few levels, so
// str() recurses as deep as that).
class Pointer {
 public:
  explicit Pointer(std::string_view root) : text_(root) {}
  Pointer(const Pointer& parent, std::string_view key) : parent_(&parent), text_(key), is_key_(true) {}
  Pointer(const Pointer& parent, size_t index) : parent_(&parent), index_(index) {}

  std::string str() const {
    if (parent_ == nullptr) return std::string(text_);
    std::string out = parent_->str();
    out += '/';
    if (is_key_) out += pointer_token(text_);
    else out += fmt::to_string(index_);
    return out;
  }

 private:
  const Pointer* parent_ = nullptr;
  std::string_view text_;  // the root's pointer, or this level's key
  size_t index_ = 0;
  bool is_key_ = false;
};

// The known fields of one object (at most 32, one bit each in a set).
using Fields = std::span<const std::string_view>;

// Where `key` is among `fields`: an exact match, else an ASCII
// case-insensitive one (Go's order); fields.size() when neither.
size_t find_field(Fields fields, std::string_view key) {
  // Length and first byte first: most fields differ in one of them.
  for (size_t k = 0; k < fields.size(); ++k)
    if (fields[k].size() == key.size() && fields[k][0] == key[0] && fields[k] == key) return k;
  for (size_t k = 0; k < fields.size(); ++k)
    if (iequals(fields[k], key)) return k;
  return fields.size();
}

class Reader {
 public:
  Reader(const JsonDoc& doc, std::string_view source, ReadResult& out) : doc_(doc), source_(source), out_(out) {}

  Expected<void> read_root() {
    const JsonRef root = doc_.root();
    if (!root.is(JsonKind::kObject))
      return error(root, Pointer(""),
                   fmt::format("expected an object (a seccomp profile or an OCI config.json), found {}",
                               article_kind(root.kind())));
    // A whole OCI config.json: the seccomp object is linux.seccomp. A
    // profile never has "linux" or "ociVersion" at the top.
    std::optional<JsonRef> linux;
    bool oci = false;
    JsonRef m = root.first_child();
    for (uint32_t k = 0; k < root.size(); ++k, m = m.next_sibling()) {
      if (m.key() == "ociVersion") oci = true;
      if (m.key() == "linux") {
        oci = true;
        linux = m;
      }
    }
    if (!oci) {
      out_.profile.format = ProfileFormat::kDocker;
      return read_seccomp(root, Pointer(""));
    }
    out_.profile.format = ProfileFormat::kOciConfig;
    if (!linux || !linux->is(JsonKind::kObject))
      return error(linux ? *linux : root, Pointer(linux ? "/linux" : ""),
                   "an OCI config.json without a linux object has no seccomp profile");
    std::optional<JsonRef> seccomp;
    m = linux->first_child();
    for (uint32_t k = 0; k < linux->size(); ++k, m = m.next_sibling())
      if (m.key() == "seccomp") seccomp = m;
    const Pointer seccomp_ptr("/linux/seccomp");
    if (!seccomp || seccomp->is(JsonKind::kNull))
      return error(*linux, Pointer("/linux"), "this OCI config.json has no linux.seccomp profile");
    if (!seccomp->is(JsonKind::kObject)) return error(*seccomp, seccomp_ptr, type_message("an object", *seccomp));
    return read_seccomp(*seccomp, seccomp_ptr);
  }

 private:
  const JsonDoc& doc_;
  std::string_view source_;
  ReadResult& out_;
  size_t line_hint_ = 0;  // the line of the last position (see pos_of)

  bool oci() const { return out_.profile.format == ProfileFormat::kOciConfig; }

  // Elements' positions are asked for in document order.
  SourcePos pos_of(uint32_t offset) {
    const TextPos p = doc_.lines().pos(offset, line_hint_);
    return {p.line, p.col};
  }

  std::string located(uint32_t offset, const Pointer& pointer, std::string_view message) const {
    const TextPos p = doc_.pos(offset);
    const std::string ptr = pointer.str();
    if (ptr.empty()) return fmt::format("{}:{}:{}: {}", source_, p.line, p.col, message);
    return fmt::format("{}:{}:{}: {}: {}", source_, p.line, p.col, ptr, message);
  }

  Unexpected<Error> error(JsonRef v, const Pointer& ptr, std::string_view message) const {
    return fail(located(v.offset(), ptr, message));
  }

  static std::string type_message(std::string_view expected, JsonRef v) {
    return fmt::format("expected {}, found {}", expected, article_kind(v.kind()));
  }

  void finding(uint32_t offset, const Pointer& ptr, std::string_view message) {
    out_.strict_findings.push_back(located(offset, ptr, message));
  }

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
      const size_t k = find_field(known, key);
      if (k == known.size()) {
        const auto near = syscalls::nearest(key, known);
        finding(m.key_offset(), child,
                near ? fmt::format("unknown field {} (ignored; did you mean \"{}\"?)", quote(key), *near)
                     : fmt::format("unknown field {} (ignored)", quote(key)));
        continue;
      }
      const std::string_view field = known[k];
      if (field != key)
        finding(m.key_offset(), child,
                fmt::format(R"(field "{}" is taken as "{}" (matched case-insensitively, as Go's encoding/json does))",
                            key, field));
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

  Expected<uint64_t> get_u64(JsonRef v, const Pointer& ptr) const {
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

  Expected<std::vector<std::string>> get_strings(JsonRef v, const Pointer& ptr) const {
    if (!v.is(JsonKind::kArray)) return error(v, ptr, type_message("an array of strings", v));
    std::vector<std::string> out;
    out.reserve(v.size());
    JsonRef e = v.first_child();
    for (uint32_t i = 0; i < v.size(); ++i, e = e.next_sibling()) {
      // Go decodes null into a string element as "" (no effect on the zero value).
      if (e.is(JsonKind::kNull)) {
        out.emplace_back();
        continue;
      }
      if (!e.is(JsonKind::kString)) return error(e, Pointer(ptr, i), type_message("a string", e));
      out.emplace_back(e.as_string());
    }
    return out;
  }

  Expected<std::vector<std::string>> get_arches(JsonRef v, const Pointer& ptr) const {
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

  // Architectures are libseccomp names: runc rejects anything else.
  Expected<std::string_view> get_arch(JsonRef v, const Pointer& ptr) const {
    auto s = get_string(v, ptr);
    if (!s) return s;
    if (!is_scmp_arch(*s)) {
      const auto names = scmp_arch_names();
      return error(v, ptr, fmt::format("unknown architecture {}{}", quote(*s), syscalls::did_you_mean(*s, names)));
    }
    return s;
  }

  Expected<ProfileAction> get_action(JsonRef v, const Pointer& ptr) const {
    auto s = get_string(v, ptr);
    if (!s) return fail(s.error().message);
    if (auto a = parse_profile_action(*s)) return *a;
    return error(v, ptr,
                 fmt::format("unknown action {}{}", quote(*s), syscalls::did_you_mean(*s, profile_action_names())));
  }

  Expected<std::string_view> get_errno_name(JsonRef v, const Pointer& ptr) const {
    auto s = get_string(v, ptr);
    if (!s) return s;
    if (!s->empty() && !is_errno_name(*s)) {
      std::vector<std::string_view> names;
      for (const auto& e : errno_names(ErrnoFamily::kGeneric)) names.push_back(e.name);
      return error(v, ptr, fmt::format("unknown errno name {}{}", quote(*s), syscalls::did_you_mean(*s, names)));
    }
    return s;
  }

  Expected<void> read_seccomp(JsonRef obj, const Pointer& ptr) {
    Profile& p = out_.profile;
    p.pos = pos_of(obj.offset());
    const Fields known = oci() ? Fields(kOciTop) : Fields(kDockerTop);
    auto r = for_fields(obj, ptr, known, [&](std::string_view f, JsonRef v, const Pointer& fp) -> Expected<void> {
      if (f == "defaultAction") {
        auto s = get_string(v, fp);
        if (!s) return fail(s.error().message);
        if (s->empty()) {  // Go's zero value: the same as absent
          p.default_action.reset();
          return {};
        }
        auto a = get_action(v, fp);
        if (!a) return fail(a.error().message);
        p.default_action = *a;
      } else if (f == "defaultErrnoRet") {
        auto n = get_u64(v, fp);
        if (!n) return fail(n.error().message);
        p.default_errno_ret = *n;
      } else if (f == "defaultErrno") {
        auto s = get_errno_name(v, fp);
        if (!s) return fail(s.error().message);
        p.default_errno = *s;
      } else if (f == "architectures") {
        auto a = get_arches(v, fp);
        if (!a) return fail(a.error().message);
        p.architectures = std::move(*a);
      } else if (f == "archMap") {
        return read_arch_map(v, fp);
      } else if (f == "syscalls") {
        return read_syscalls(v, fp);
      } else if (f == "flags") {
        return read_flags(v, fp);
      } else if (f == "listenerPath" || f == "listenerMetadata") {
        auto s = get_string(v, fp);
        if (!s) return fail(s.error().message);
        (f == "listenerPath" ? p.listener_path : p.listener_metadata) = *s;
      }
      return {};
    });
    if (!r) return r;
    // moby: `architectures` and `archMap` together are an error.
    if (!p.architectures.empty() && !p.arch_map.empty())
      return error(obj, ptr, R"(both "architectures" and "archMap" are set; use one of them)");
    // runc: an empty defaultAction is only accepted when there are no rules
    // either (then moby and runc run the container without seccomp).
    if (!p.default_action && !p.syscalls.empty()) return error(obj, ptr, "missing \"defaultAction\"");
    return {};
  }

  Expected<void> read_flags(JsonRef v, const Pointer& ptr) {
    auto flags = get_strings(v, ptr);
    if (!flags) return fail(flags.error().message);
    for (size_t i = 0; i < flags->size(); ++i) {
      const auto& f = (*flags)[i];
      if (!is_known_filter_flag(f)) {
        const JsonRef e = v.element(static_cast<uint32_t>(i));
        return error(
            e, Pointer(ptr, i),
            fmt::format("unknown seccomp filter flag {}{}", quote(f), syscalls::did_you_mean(f, filter_flag_names())));
      }
    }
    out_.profile.flags = std::move(*flags);
    return {};
  }

  Expected<void> read_arch_map(JsonRef v, const Pointer& ptr) {
    if (!v.is(JsonKind::kArray)) return error(v, ptr, type_message("an array", v));
    std::vector<ProfileArchMap> out;
    out.reserve(v.size());
    JsonRef e = v.first_child();
    for (uint32_t i = 0; i < v.size(); ++i, e = e.next_sibling()) {
      const Pointer ep(ptr, i);
      if (!e.is(JsonKind::kObject)) return error(e, ep, type_message("an object", e));
      ProfileArchMap& m = out.emplace_back();
      m.pos = pos_of(e.offset());
      auto r = for_fields(e, ep, kArchMap, [&](std::string_view f, JsonRef fv, const Pointer& fp) -> Expected<void> {
        if (f == "architecture") {
          auto a = get_arch(fv, fp);
          if (!a) return fail(a.error().message);
          m.architecture = *a;
        } else {
          auto a = get_arches(fv, fp);
          if (!a) return fail(a.error().message);
          m.sub_architectures = std::move(*a);
        }
        return {};
      });
      if (!r) return r;
    }
    out_.profile.arch_map = std::move(out);
    return {};
  }

  // Entries are read in place: a ProfileSyscall is a dozen containers.
  Expected<void> read_syscalls(JsonRef v, const Pointer& ptr) {
    if (!v.is(JsonKind::kArray)) return error(v, ptr, type_message("an array", v));
    std::vector<ProfileSyscall> out;
    out.reserve(v.size());
    JsonRef e = v.first_child();
    for (uint32_t i = 0; i < v.size(); ++i, e = e.next_sibling()) {
      const Pointer ep(ptr, i);
      if (!e.is(JsonKind::kObject)) return error(e, ep, type_message("an object", e));
      if (auto r = read_syscall(e, ep, out.emplace_back()); !r) return r;
    }
    out_.profile.syscalls = std::move(out);
    return {};
  }

  Expected<void> read_syscall(JsonRef obj, const Pointer& ptr, ProfileSyscall& s) {
    s.pos = pos_of(obj.offset());
    std::string_view legacy_name;
    bool has_action = false;
    const Fields known = oci() ? Fields(kOciSyscall) : Fields(kDockerSyscall);
    auto r = for_fields(obj, ptr, known, [&](std::string_view f, JsonRef v, const Pointer& fp) -> Expected<void> {
      if (f == "names") {
        auto n = get_strings(v, fp);
        if (!n) return fail(n.error().message);
        for (size_t k = 0; k < n->size(); ++k)
          if ((*n)[k].empty())  // runc: "empty string is not a valid syscall"
            return error(v.element(static_cast<uint32_t>(k)), Pointer(fp, k), "empty syscall name");
        s.names = std::move(*n);
      } else if (f == "name") {
        auto n = get_string(v, fp);
        if (!n) return fail(n.error().message);
        legacy_name = *n;
      } else if (f == "action") {
        auto a = get_action(v, fp);
        if (!a) return fail(a.error().message);
        s.action = *a;
        has_action = true;
      } else if (f == "errnoRet") {
        auto n = get_u64(v, fp);
        if (!n) return fail(n.error().message);
        s.errno_ret = *n;
      } else if (f == "errno") {
        auto n = get_errno_name(v, fp);
        if (!n) return fail(n.error().message);
        s.errno_name = *n;
      } else if (f == "args") {
        return read_args(v, fp, s.args);
      } else if (f == "comment") {
        auto c = get_string(v, fp);
        if (!c) return fail(c.error().message);
        s.comment = *c;
      } else if (f == "includes" || f == "excludes") {
        return read_filter(v, fp, f == "includes" ? s.includes : s.excludes);
      }
      return {};
    });
    if (!r) return r;
    // moby: a non-empty "name" together with a non-empty "names" is an error;
    // otherwise "name" is the one-element form of "names".
    if (!legacy_name.empty()) {
      if (!s.names.empty()) return error(obj, ptr, R"(both "name" and "names" are set; use one of them)");
      s.names.emplace_back(legacy_name);
      s.legacy_name = true;
    }
    if (!has_action) return error(obj, ptr, "missing \"action\"");
    if (s.names.empty()) finding(obj.offset(), ptr, "entry has no syscall names; it matches nothing");
    return {};
  }

  Expected<void> read_args(JsonRef v, const Pointer& ptr, std::vector<ProfileArg>& out) {
    if (!v.is(JsonKind::kArray)) return error(v, ptr, type_message("an array", v));
    out.clear();
    out.reserve(v.size());
    JsonRef e = v.first_child();
    for (uint32_t i = 0; i < v.size(); ++i, e = e.next_sibling()) {
      const Pointer ep(ptr, i);
      if (!e.is(JsonKind::kObject)) return error(e, ep, type_message("an object", e));
      ProfileArg a;
      a.pos = pos_of(e.offset());
      bool has_op = false;
      auto r = for_fields(e, ep, kArg, [&](std::string_view f, JsonRef fv, const Pointer& fp) -> Expected<void> {
        if (f == "op") {
          auto s = get_string(fv, fp);
          if (!s) return fail(s.error().message);
          auto op = parse_cmp_op(*s);
          if (!op)
            return error(fv, fp,
                         fmt::format("unknown operator {}{}", quote(*s), syscalls::did_you_mean(*s, cmp_op_names())));
          a.op = *op;
          has_op = true;
          return {};
        }
        auto n = get_u64(fv, fp);
        if (!n) return fail(n.error().message);
        if (f == "index") {
          // A syscall has six argument registers; libseccomp refuses others.
          if (*n > 5)
            return error(fv, fp, fmt::format("argument index {} is out of range (a syscall has arguments 0..5)", *n));
          a.index = static_cast<uint32_t>(*n);
        } else if (f == "value") {
          a.value = *n;
        } else {
          a.value_two = *n;
        }
        return {};
      });
      if (!r) return r;
      if (!has_op) return error(e, ep, "missing \"op\"");
      out.push_back(a);
    }
    return {};
  }

  // Fills `flt` afresh (a repeated key: the last one wins).
  Expected<void> read_filter(JsonRef v, const Pointer& ptr, ProfileFilter& flt) {
    if (!v.is(JsonKind::kObject)) return error(v, ptr, type_message("an object", v));
    flt = ProfileFilter{};
    return for_fields(v, ptr, kFilter, [&](std::string_view f, JsonRef fv, const Pointer& fp) -> Expected<void> {
      if (f == "minKernel") {
        auto s = get_string(fv, fp);
        if (!s) return fail(s.error().message);
        if (s->empty()) return {};  // moby: "" means no minimum
        auto k = parse_min_kernel(*s);
        if (!k) return error(fv, fp, k.error().message);
        flt.min_kernel = *k;
        return {};
      }
      auto list = get_strings(fv, fp);
      if (!list) return fail(list.error().message);
      (f == "caps" ? flt.caps : flt.arches) = std::move(*list);
      return {};
    });
  }

  // moby's KernelVersion: exactly "<kernel>.<major>", each an 8-bit decimal,
  // not both zero.
  static Expected<syscalls::KernelVersion> parse_min_kernel(std::string_view s) {
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
};

}  // namespace

Expected<ReadResult> read_profile(std::string_view text, std::string_view source, const ReadOptions& options) {
  auto doc = JsonDoc::parse(text, source, options.limits);
  if (!doc) return fail(doc.error().message);
  ReadResult out;
  out.profile.source = std::string(source);
  Reader reader(*doc, source, out);
  if (auto r = reader.read_root(); !r) return fail(r.error().message);
  if (options.strict && !out.strict_findings.empty()) {
    std::string msg = fmt::format("{}: {} strict finding{} (--strict):", source, out.strict_findings.size(),
                                  out.strict_findings.size() == 1 ? "" : "s");
    for (const auto& f : out.strict_findings) msg += "\n  " + f;
    return fail(std::move(msg));
  }
  return out;
}

}  // namespace sysfence::profile
