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
    const Fields known = oci() ? Fields(kOciTop) : Fields(kDockerTop);
    std::optional<JsonRef> empty_default;  // "defaultAction": ""
    auto r = for_fields(obj, ptr, known, [&](std::string_view f, JsonRef v, const Pointer& fp) -> Expected<void> {
      if (f == "defaultAction") {
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
      } else if (f == "defaultErrnoRet") {
        auto n = get_u64(v, fp);
        if (!n) return fail(n.error().message);
        p.default_errno_ret = *n;
        if (p.default_errno.empty()) p.default_errno_pos = pos_of(v.offset());
      } else if (f == "defaultErrno") {
        auto s = get_errno_name(v, fp);
        if (!s) return fail(s.error().message);
        p.default_errno = *s;
        p.default_errno_pos = pos_of(v.offset());
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
    if (!p.default_action && !p.syscalls.empty()) {
      if (empty_default)
        return error(*empty_default, Pointer(ptr, "defaultAction"),
                     "empty \"defaultAction\" in a profile with syscalls (runc refuses an empty action)");
      return error(obj, ptr, "missing \"defaultAction\"");
    }
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
