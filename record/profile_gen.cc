#include "record/profile_gen.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "pipeline/pipeline.h"
#include "profile/caps.h"
#include "profile/writer.h"
#include "syscalls/table.h"

namespace sysfence::record {

namespace {

// How one argument-rule syscall is checked: which argument, compared how.
struct ArgRuleShape {
  std::string_view name;
  uint32_t index = 0;
  uint64_t mask = 0;  // 0: EQ on the whole value; else MASKED_EQ under it
};

std::optional<ArgRuleShape> arg_rule_shape(std::string_view name, syscalls::ArchId native, bool ioctl) {
  const bool s390 = native == syscalls::ArchId::kS390x || native == syscalls::ArchId::kS390;
  if (name == "clone") return ArgRuleShape{name, s390 ? 1U : 0U, kCloneNamespaceMask};
  if (name == "unshare") return ArgRuleShape{name, 0, kUnshareNamespaceMask};
  if (name == "socket" || name == "personality" || name == "prctl") return ArgRuleShape{name, 0, 0};
  if (name == "ioctl" && ioctl) return ArgRuleShape{name, 1, 0};
  return std::nullopt;
}

bool allows(const policy::Policy& base, const SyscallKey& key, const std::array<uint64_t, 6>& args) {
  SeccompData d;
  d.arch = syscalls::arch(key.arch).audit_arch;
  d.nr = key.nr;
  d.args = args;
  const ActionKind k = policy::evaluate(base, d).action.kind;
  return k == ActionKind::kAllow || k == ActionKind::kLog;
}

// ABIs in profile order: the native one first, then ArchId order.
std::vector<syscalls::ArchId> ordered_abis(const std::set<syscalls::ArchId>& seen, syscalls::ArchId native) {
  std::vector<syscalls::ArchId> out;
  if (seen.contains(native)) out.push_back(native);
  for (syscalls::ArchId a : seen) {
    if (a != native) out.push_back(a);
  }
  return out;
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

// What the generator knows of one syscall name across the ABIs.
struct NameFacts {
  std::set<syscalls::ArchId> abis;  // where the name needs allowing
  std::set<uint64_t> values;        // the checked argument's values (arg rules)
  bool plain = false;               // allowed without argument rules
};

class Builder {
 public:
  Builder(const Observations& obs, const GenerateOptions& options) : obs_(obs), options_(options) {}

  Generated build() {
    Generated g;
    for (const auto& [key, record] : obs_.calls) add(key, record, g.unnamed);
    profile::Profile& p = g.profile;
    p.default_action = profile::ProfileAction::kErrno;
    p.default_errno_ret = 1;  // EPERM
    const std::vector<syscalls::ArchId> abis = ordered_abis(seen_, options_.native);
    if (!abis.empty()) {
      profile::ProfileArchMap m;
      m.architecture = std::string(syscalls::arch(abis[0]).scmp_name);
      for (size_t i = 1; i < abis.size(); ++i) m.sub_architectures.emplace_back(syscalls::arch(abis[i]).scmp_name);
      p.arch_map.push_back(std::move(m));
    }
    add_plain_entries(p);
    add_arg_entries(p);
    add_restart_entry(p);
    return g;
  }

 private:
  void add(const SyscallKey& key, const SyscallRecord& record, std::vector<std::string>& unnamed) {
    seen_.insert(key.arch);
    const auto name = syscalls::table(key.arch).name(key.nr);
    if (!name) {
      unnamed.push_back(fmt::format("{} #{}", syscalls::arch(key.arch).name, key.nr));
      return;
    }
    const bool wants_args = options_.args || options_.ioctl_args;
    const auto shape = wants_args ? arg_rule_shape(*name, options_.native, options_.ioctl_args) : std::nullopt;
    const std::array<uint64_t, 6> zero{};
    if (!shape || record.args.empty() || record.args_truncated) {
      // Plain: needed unless the base allows every way it was called.
      bool needed = options_.base == nullptr;
      if (!needed && record.args.empty()) needed = !allows(*options_.base, key, zero);
      for (const auto& a : record.args) needed = needed || !allows(*options_.base, key, a);
      if (!needed) return;
      NameFacts& f = names_[std::string(*name)];
      f.abis.insert(key.arch);
      f.plain = true;
      if (record.args_truncated && shape) truncated_.insert(std::string(*name));
      return;
    }
    for (const auto& a : record.args) {
      if (options_.base != nullptr && allows(*options_.base, key, a)) continue;
      NameFacts& f = names_[std::string(*name)];
      f.abis.insert(key.arch);
      const uint64_t v = a[shape->index];
      f.values.insert(shape->mask != 0 ? (v & shape->mask) : v);
    }
  }

  std::string comment(const std::set<syscalls::ArchId>& abis, std::string_view what) const {
    std::string names;
    for (syscalls::ArchId a : ordered_abis(abis, options_.native)) {
      if (!names.empty()) names += ", ";
      names += syscalls::arch(a).name;
    }
    return fmt::format("recorded from `{}` at {}; {} on {}", join_command(obs_.command), obs_.started_at, what, names);
  }

  void add_plain_entries(profile::Profile& p) const {
    // Grouped by the ABI set, in the order of each set's ABIs (native first).
    std::map<std::vector<syscalls::ArchId>, std::vector<std::string>> groups;
    for (const auto& [name, f] : names_) {
      if (f.plain) groups[ordered_abis(f.abis, options_.native)].push_back(name);
    }
    for (auto& [abis, names] : groups) {
      profile::ProfileSyscall s;
      s.names = names;  // a std::map's keys: sorted
      s.action = profile::ProfileAction::kAllow;
      const std::set<syscalls::ArchId> set(abis.begin(), abis.end());
      std::string what = "seen";
      for (const std::string& n : names) {
        if (truncated_.contains(n)) what = fmt::format("seen ({} with too many distinct arguments to list)", n);
      }
      s.comment = comment(set, what);
      p.syscalls.push_back(std::move(s));
    }
  }

  void add_arg_entries(profile::Profile& p) const {
    for (const auto& [name, f] : names_) {
      if (f.plain || f.values.empty()) continue;
      const auto shape = arg_rule_shape(name, options_.native, options_.ioctl_args);
      for (uint64_t v : f.values) {
        profile::ProfileSyscall s;
        s.names = {name};
        s.action = profile::ProfileAction::kAllow;
        profile::ProfileArg arg;
        arg.index = shape->index;
        if (shape->mask != 0) {
          arg.op = policy::CmpOp::kMaskedEq;
          arg.value = shape->mask;
          arg.value_two = v;
        } else {
          arg.op = policy::CmpOp::kEq;
          arg.value = v;
        }
        s.args.push_back(arg);
        s.comment = comment(f.abis, fmt::format("argument {} value seen", shape->index));
        p.syscalls.push_back(std::move(s));
      }
    }
  }

  // The kernel continues a nanosleep, clock_nanosleep, futex wait with a
  // timeout or poll that a stop signal (Ctrl-Z, SIGSTOP) or a tracer
  // interrupted through restart_syscall(2), which passes through the filter:
  // a profile that allows those calls but not it makes them fail with EPERM
  // after such a stop, however rarely the recording saw one. Allowed (in an
  // entry of its own that says why) on every ABI where they were seen, unless
  // recorded there or allowed by the base.
  void add_restart_entry(profile::Profile& p) const {
    static constexpr std::string_view kRestartable[] = {"nanosleep", "clock_nanosleep", "clock_nanosleep_time64",
                                                        "futex",     "futex_time64",    "poll"};
    std::set<syscalls::ArchId> needed;
    for (const auto& [key, record] : obs_.calls) {
      const auto name = syscalls::table(key.arch).name(key.nr);
      if (!name || std::find(std::begin(kRestartable), std::end(kRestartable), *name) == std::end(kRestartable))
        continue;
      const auto restart = syscalls::table(key.arch).number("restart_syscall");
      if (!restart) continue;
      const auto known = names_.find("restart_syscall");
      if (known != names_.end() && known->second.abis.contains(key.arch)) continue;
      if (obs_.calls.contains(SyscallKey{key.arch, *restart})) continue;  // seen (and allowed by the base)
      if (options_.base != nullptr && allows(*options_.base, SyscallKey{key.arch, *restart}, {})) continue;
      needed.insert(key.arch);
    }
    if (needed.empty()) return;
    profile::ProfileSyscall s;
    s.names = {"restart_syscall"};
    s.action = profile::ProfileAction::kAllow;
    s.comment = comment(needed,
                        "not seen, but needed where nanosleep, futex or poll were (the kernel continues them through "
                        "it after a stop signal or a tracer's interrupt)");
    p.syscalls.push_back(std::move(s));
  }

  const Observations& obs_;
  const GenerateOptions& options_;
  std::set<syscalls::ArchId> seen_;
  std::map<std::string, NameFacts> names_;
  std::set<std::string> truncated_;
};

}  // namespace

Generated generate_profile(const Observations& obs, const GenerateOptions& options) {
  return Builder(obs, options).build();
}

std::string profile_json(const profile::Profile& p) {
  std::string text = profile::write_profile(p);
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

Expected<policy::Policy> resolve_base(const std::string& profile) {
  pipeline::Request request;
  request.profile = profile;
  request.resolve.native = syscalls::native_arch().id;
  request.resolve.caps = profile::docker_default_caps();
  request.last = pipeline::Stage::kRestrictAbis;
  auto built = pipeline::run(request);
  if (!built) return fail(built.error().message);
  return std::move(built->resolution.policy);
}

}  // namespace sysfence::record
