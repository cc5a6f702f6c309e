#include "profile/reader.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>

#include "base/text.h"
#include "profile/reader_context.h"
#include "syscalls/edit_distance.h"

namespace sysfence::profile {

namespace {

using reader_detail::article_kind;
using reader_detail::Fields;
using reader_detail::Pointer;

// The fields each object may carry, in the order of their enum (the schema
// walk switches on it). Docker profiles are a superset of the OCI
// runtime-spec object; in an OCI config.json moby's extensions (archMap,
// name, comment, includes, excludes, errno names) mean nothing to runc and are
// ignored like any other unknown field.
enum class Top : uint8_t {
  kDefaultAction,
  kDefaultErrnoRet,
  kDefaultErrno,
  kArchitectures,
  kArchMap,
  kSyscalls,
  kFlags,
  kListenerPath,
  kListenerMetadata,
};
constexpr std::array<std::string_view, 9> kTopNames{"defaultAction", "defaultErrnoRet", "defaultErrno",
                                                    "architectures", "archMap",         "syscalls",
                                                    "flags",         "listenerPath",    "listenerMetadata"};
enum class Entry : uint8_t { kNames, kName, kAction, kErrnoRet, kErrno, kArgs, kComment, kIncludes, kExcludes };
constexpr std::array<std::string_view, 9> kEntryNames{"names", "name",    "action",   "errnoRet", "errno",
                                                      "args",  "comment", "includes", "excludes"};
enum class Arg : uint8_t { kIndex, kValue, kValueTwo, kOp };
constexpr std::array<std::string_view, 4> kArgNames{"index", "value", "valueTwo", "op"};
enum class Filter : uint8_t { kCaps, kArches, kMinKernel };
constexpr std::array<std::string_view, 3> kFilterNames{"caps", "arches", "minKernel"};
enum class ArchMap : uint8_t { kArchitecture, kSubArchitectures };
constexpr std::array<std::string_view, 2> kArchMapNames{"architecture", "subArchitectures"};

template <typename E, typename... Rest>
constexpr uint32_t bits(E first, Rest... rest) {
  return ((1u << static_cast<unsigned>(first)) | ... | (1u << static_cast<unsigned>(rest)));
}

constexpr Fields kDockerTop{kTopNames};
constexpr Fields kOciTop{kTopNames, bits(Top::kDefaultAction, Top::kDefaultErrnoRet, Top::kArchitectures,
                                         Top::kSyscalls, Top::kFlags, Top::kListenerPath, Top::kListenerMetadata)};
constexpr Fields kDockerEntry{kEntryNames};
constexpr Fields kOciEntry{kEntryNames, bits(Entry::kNames, Entry::kAction, Entry::kErrnoRet, Entry::kArgs)};
constexpr Fields kArg{kArgNames};
constexpr Fields kFilter{kFilterNames};
constexpr Fields kArchMap{kArchMapNames};

// The profile schema: which fields each object has and what they mean.
class Reader : public reader_detail::ReadContext {
 public:
  using ReadContext::ReadContext;

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
      if (m.key() == "ociVersion") {
        // runc reads the whole config into its Go struct, where ociVersion is
        // a string: any other type fails the container before seccomp.
        if (!m.is(JsonKind::kString)) return error(m, Pointer("/ociVersion"), type_message("a string", m));
        oci = true;
      }
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
  Expected<void> read_seccomp(JsonRef obj, const Pointer& ptr) {
    Profile& p = out_.profile;
    p.pos = pos_of(obj.offset());
    std::optional<JsonRef> empty_default;  // "defaultAction": ""
    auto r = for_fields(obj, ptr, oci() ? kOciTop : kDockerTop, [&](size_t k, JsonRef v, const Pointer& fp) {
      return read_top_field(static_cast<Top>(k), v, fp, empty_default);
    });
    if (!r) return r;
    // moby: `architectures` and `archMap` together are an error.
    if (!p.architectures.empty() && !p.arch_map.empty())
      return error(obj, ptr, R"(both "architectures" and "archMap" are set; use one of them)");
    // runc: an empty defaultAction is only accepted when there are no rules
    // either (then moby and runc run the container without seccomp).
    if (!p.default_action && !p.syscalls.empty()) {
      if (empty_default)
        return error(*empty_default, Pointer(ptr, "defaultAction"),
                     "empty \"defaultAction\" in a profile with syscalls (runc refuses an empty action)");
      return error(obj, ptr, "missing \"defaultAction\"");
    }
    return {};
  }

  Expected<void> read_top_field(Top f, JsonRef v, const Pointer& fp, std::optional<JsonRef>& empty_default) {
    Profile& p = out_.profile;
    switch (f) {
      case Top::kDefaultAction: {
        p.default_action_pos = pos_of(v.offset());
        auto s = get_string(v, fp);
        if (!s) return fail(s.error().message);
        if (s->empty()) {  // Go's zero value: the same as absent
          p.default_action.reset();
          empty_default = v;
          return {};
        }
        auto a = get_action(v, fp);
        if (!a) return fail(a.error().message);
        p.default_action = *a;
        return {};
      }
      case Top::kDefaultErrnoRet: {
        auto n = get_u64(v, fp);
        if (!n) return fail(n.error().message);
        p.default_errno_ret = *n;
        if (p.default_errno.empty()) p.default_errno_pos = pos_of(v.offset());
        return {};
      }
      case Top::kDefaultErrno: {
        auto s = get_errno_name(v, fp);
        if (!s) return fail(s.error().message);
        p.default_errno = *s;
        p.default_errno_pos = pos_of(v.offset());
        return {};
      }
      case Top::kArchitectures: {
        auto a = get_arches(v, fp);
        if (!a) return fail(a.error().message);
        p.architectures = std::move(*a);
        return {};
      }
      case Top::kArchMap: return read_arch_map(v, fp);
      case Top::kSyscalls: return read_syscalls(v, fp);
      case Top::kFlags: return read_flags(v, fp);
      case Top::kListenerPath:
      case Top::kListenerMetadata: {
        auto s = get_string(v, fp);
        if (!s) return fail(s.error().message);
        (f == Top::kListenerPath ? p.listener_path : p.listener_metadata) = *s;
        return {};
      }
    }
    return {};
  }

  Expected<void> read_flags(JsonRef v, const Pointer& ptr) {
    std::vector<std::string>& flags = out_.profile.flags;
    if (auto r = read_strings(v, ptr, flags); !r) return fail(r.error().message);
    for (size_t i = 0; i < flags.size(); ++i) {
      const auto& f = flags[i];
      if (!is_known_filter_flag(f)) {
        const JsonRef e = v.element(static_cast<uint32_t>(i));
        return error(
            e, Pointer(ptr, i),
            fmt::format("unknown seccomp filter flag {}{}", quote(f), syscalls::did_you_mean(f, filter_flag_names())));
      }
    }
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
      auto r = for_fields(e, ep, kArchMap, [&](size_t k, JsonRef fv, const Pointer& fp) -> Expected<void> {
        if (static_cast<ArchMap>(k) == ArchMap::kArchitecture) {
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
    auto r = for_fields(obj, ptr, oci() ? kOciEntry : kDockerEntry,
                        [&](size_t k, JsonRef v, const Pointer& fp) -> Expected<void> {
                          switch (static_cast<Entry>(k)) {
                            case Entry::kNames: {
                              auto empty = read_strings(v, fp, s.names);
                              if (!empty) return fail(empty.error().message);
                              if (*empty < s.names.size())  // runc: "empty string is not a valid syscall"
                                return error(v.element(*empty), Pointer(fp, *empty), "empty syscall name");
                              return {};
                            }
                            case Entry::kName: {
                              auto n = get_string(v, fp);
                              if (!n) return fail(n.error().message);
                              legacy_name = *n;
                              return {};
                            }
                            case Entry::kAction: {
                              auto a = get_action(v, fp);
                              if (!a) return fail(a.error().message);
                              s.action = *a;
                              has_action = true;
                              return {};
                            }
                            case Entry::kErrnoRet: {
                              auto n = get_u64(v, fp);
                              if (!n) return fail(n.error().message);
                              s.errno_ret = *n;
                              return {};
                            }
                            case Entry::kErrno: {
                              auto n = get_errno_name(v, fp);
                              if (!n) return fail(n.error().message);
                              s.errno_name = *n;
                              return {};
                            }
                            case Entry::kArgs: return read_args(v, fp, s.args);
                            case Entry::kComment: {
                              auto c = get_string(v, fp);
                              if (!c) return fail(c.error().message);
                              s.comment = *c;
                              return {};
                            }
                            case Entry::kIncludes: return read_filter(v, fp, s.includes);
                            case Entry::kExcludes: return read_filter(v, fp, s.excludes);
                          }
                          return {};
                        });
    if (!r) return r;
    // moby: a non-empty "name" together with a non-empty "names" is an error
    // once the entry passes includes/excludes (resolve() says so there; a
    // strict finding here); otherwise "name" is the one-element form of
    // "names".
    if (!legacy_name.empty()) {
      if (!s.names.empty()) {
        s.name_and_names = true;
        finding(obj.offset(), ptr, R"(both "name" and "names" are set; use one of them)");
      } else {
        s.names.emplace_back(legacy_name);
        s.legacy_name = true;
      }
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
      auto r = for_fields(e, ep, kArg, [&](size_t k, JsonRef fv, const Pointer& fp) -> Expected<void> {
        const auto f = static_cast<Arg>(k);
        if (f == Arg::kOp) {
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
        if (f == Arg::kIndex) {
          // A syscall has six argument registers; libseccomp refuses others.
          if (*n > 5)
            return error(fv, fp, fmt::format("argument index {} is out of range (a syscall has arguments 0..5)", *n));
          a.index = static_cast<uint32_t>(*n);
        } else if (f == Arg::kValue) {
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
    return for_fields(v, ptr, kFilter, [&](size_t k, JsonRef fv, const Pointer& fp) -> Expected<void> {
      const auto f = static_cast<Filter>(k);
      if (f == Filter::kMinKernel) {
        auto s = get_string(fv, fp);
        if (!s) return fail(s.error().message);
        if (s->empty()) return {};  // moby: "" means no minimum
        auto kernel = parse_min_kernel(*s);
        if (!kernel) return error(fv, fp, kernel.error().message);
        flt.min_kernel = *kernel;
        return {};
      }
      if (auto r = read_strings(fv, fp, f == Filter::kCaps ? flt.caps : flt.arches); !r) return fail(r.error().message);
      return {};
    });
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
  const size_t findings = reader.close_findings();
  if (options.strict && findings != 0) {
    std::string msg = fmt::format("{}: {} strict finding{} (--strict):", source, findings, findings == 1 ? "" : "s");
    for (const auto& f : out.strict_findings) msg += "\n  " + f;
    return fail(std::move(msg));
  }
  return out;
}

}  // namespace sysfence::profile
