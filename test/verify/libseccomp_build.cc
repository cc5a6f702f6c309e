#include "test/verify/libseccomp_build.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace sysfence::testing {
namespace {

scmp_compare to_scmp(std::string_view op) {
  if (op == "SCMP_CMP_NE") return SCMP_CMP_NE;
  if (op == "SCMP_CMP_LT") return SCMP_CMP_LT;
  if (op == "SCMP_CMP_LE") return SCMP_CMP_LE;
  if (op == "SCMP_CMP_EQ") return SCMP_CMP_EQ;
  if (op == "SCMP_CMP_GE") return SCMP_CMP_GE;
  if (op == "SCMP_CMP_GT") return SCMP_CMP_GT;
  return SCMP_CMP_MASKED_EQ;
}

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

// runc matchCall: an entry that names an argument index twice becomes one
// rule per condition; otherwise one rule with all of them.
std::vector<std::vector<LibCondition>> condition_sets(const ProfileEntry& e) {
  std::array<unsigned, 6> per_index{};
  std::vector<LibCondition> all;
  for (const ProfileArg& a : e.args) {
    per_index[a.index]++;
    all.push_back({a.index, a.op, a.value, a.value_two});
  }
  const bool split = std::any_of(per_index.begin(), per_index.end(), [](unsigned n) { return n > 1; });
  if (!split) return {all};
  std::vector<std::vector<LibCondition>> sets;
  sets.reserve(all.size());
  for (const LibCondition& c : all) sets.push_back({c});
  return sets;
}

std::vector<uint8_t> export_bpf(scmp_filter_ctx ctx, std::string& error) {
  const int fd = memfd_create("libseccomp-export", MFD_CLOEXEC);
  if (fd < 0) {
    error = std::string("memfd_create: ") + std::strerror(errno);
    return {};
  }
  std::vector<uint8_t> out;
  if (const int rc = seccomp_export_bpf(ctx, fd); rc < 0) {
    error = std::string("seccomp_export_bpf: ") + std::strerror(-rc);
  } else {
    const off_t size = lseek(fd, 0, SEEK_END);
    out.resize(static_cast<size_t>(std::max<off_t>(size, 0)));
    if (pread(fd, out.data(), out.size(), 0) != static_cast<ssize_t>(out.size())) {
      error = "reading the exported filter back failed";
      out.clear();
    }
  }
  close(fd);
  return out;
}

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// libseccomp 2.5.4 exporting a big-endian filter on a little-endian host
// writes the k of the rules' `ret` instructions in HOST byte order, while
// every other field (and the default and bad-arch `ret`s) is big-endian:
// ALLOW comes out as 0x0000ff7f, which an s390x kernel runs as KILL_THREAD
// (its own export_pfc of the same filter says ALLOW; a native s390x build has
// no such mix-up). Each `ret` whose k is not one of the filter's actions but
// whose byte-swapped k is gets swapped back. Error: a `ret` that is neither,
// or one that would be ambiguous.
bool fix_cross_endian_returns(std::vector<uint8_t>& raw, const std::set<uint32_t>& actions, size_t& swapped,
                              std::string& error) {
  constexpr uint16_t kRetK = 0x06;
  for (size_t off = 0; off + 8 <= raw.size(); off += 8) {
    const auto code = static_cast<uint16_t>((raw[off] << 8) | raw[off + 1]);
    if (code != kRetK) continue;
    const uint32_t k = load_be32(&raw[off + 4]);
    const uint32_t flipped = __builtin_bswap32(k);
    const bool k_known = actions.contains(k);
    const bool flipped_known = actions.contains(flipped);
    if (k_known && flipped_known && k != flipped) {
      error = "ambiguous ret at instruction " + std::to_string(off / 8);
      return false;
    }
    if (k_known) continue;
    if (!flipped_known) {
      error = "ret at instruction " + std::to_string(off / 8) + " is no action of the filter";
      return false;
    }
    store_be32(&raw[off + 4], flipped);
    ++swapped;
  }
  return true;
}

}  // namespace

int libseccomp_number(const NativeArch& native, const std::string& name) {
  return seccomp_syscall_resolve_name_arch(native.scmp_token, name.c_str());
}

std::string libseccomp_host_translation(const std::string& name) {
  const int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr >= 0 || nr == __NR_SCMP_ERROR) return name;
  char* back = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  if (back == nullptr) return name;
  std::string out(back);
  std::free(back);
  return out;
}

std::string libseccomp_name(const NativeArch& native, uint32_t nr) {
  char* name = seccomp_syscall_resolve_num_arch(native.scmp_token, static_cast<int>(nr));
  if (name == nullptr) return "";
  std::string out(name);
  std::free(name);
  return out;
}

LibseccompBuild build_with_libseccomp(const RandomProfile& profile, const NativeArch& native, bool big_endian) {
  LibseccompBuild b;
  b.default_action = action_value(profile.default_action, profile.default_errno_ret);
  auto refuse = [&b](std::string what, int rc) {
    b.refused = true;
    b.refusal = std::move(what);
    b.refusal_errno = -rc;
    return b;
  };
  Ctx ctx{seccomp_init(b.default_action)};
  if (!ctx) return refuse("seccomp_init", -EINVAL);
  if (seccomp_arch_exist(ctx.get(), native.scmp_token) != 0) {
    if (int rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE); rc < 0) return refuse("seccomp_arch_remove", rc);
    if (int rc = seccomp_arch_add(ctx.get(), native.scmp_token); rc < 0) return refuse("seccomp_arch_add", rc);
  }
  std::set<uint32_t> actions{b.default_action, SCMP_ACT_KILL_THREAD};
  for (size_t i = 0; i < profile.syscalls.size(); ++i) {
    const ProfileEntry& e = profile.syscalls[i];
    if (!moby_keeps(e, native)) continue;
    b.kept_names.insert(e.names.begin(), e.names.end());
    const uint32_t action = action_value(e.action, e.errno_ret);
    if (action == b.default_action) continue;
    const auto sets = condition_sets(e);
    for (const std::string& name : e.names) {
      const int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      for (const auto& set : sets) {
        std::vector<scmp_arg_cmp> conds;
        conds.reserve(set.size());
        for (const LibCondition& c : set) conds.push_back({c.arg, to_scmp(c.op), c.datum_a, c.datum_b});
        const int rc = seccomp_rule_add_array(ctx.get(), action, nr, static_cast<unsigned>(conds.size()),
                                              conds.empty() ? nullptr : conds.data());
        if (rc < 0) {
          b.refused_rule = AddedRule{i, name, action, set};
          return refuse("seccomp_rule_add_array(syscalls[" + std::to_string(i) + "], " + name + ")", rc);
        }
        b.rules.push_back({i, name, action, set});
        actions.insert(action);
      }
    }
  }
  std::string error;
  b.raw = export_bpf(ctx.get(), error);
  if (!error.empty()) return refuse(error, -EIO);
  if (big_endian && !fix_cross_endian_returns(b.raw, actions, b.swapped_returns, error))
    return refuse("cross-endian export: " + error, -EIO);
  return b;
}

}  // namespace sysfence::testing
