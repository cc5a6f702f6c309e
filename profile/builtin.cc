#include "profile/builtin.h"

#include <algorithm>

#include "profile/caps.h"

namespace sysfence::profile {

namespace embedded {
extern const std::string_view docker_default_json;  // generated: docker_default_embed.cc
}  // namespace embedded

namespace {
#include "profile/seed_reasons.inc"
}  // namespace

std::string_view builtin_default_profile_json() { return embedded::docker_default_json; }

Expected<ReadResult> read_builtin_default() {
  return read_profile(builtin_default_profile_json(), kBuiltinDefaultName);
}

std::span<const BlockedReason> seed_blocked_reasons() { return kSeedReasons; }

std::optional<std::string_view> seed_reason(std::string_view syscall) {
  const auto table = seed_blocked_reasons();
  auto it = std::lower_bound(table.begin(), table.end(), syscall,
                             [](const BlockedReason& r, std::string_view s) { return r.syscall < s; });
  if (it != table.end() && it->syscall == syscall) return it->reason;
  return std::nullopt;
}

}  // namespace sysfence::profile

namespace sysfence::profile {

DefaultProfileStance builtin_default_stance(std::string_view syscall) {
  static const std::optional<ReadResult> builtin = [] {
    auto r = read_builtin_default();
    return r ? std::optional<ReadResult>(std::move(*r)) : std::nullopt;
  }();
  if (!builtin) return DefaultProfileStance::kBlocks;
  static const CapSet docker_caps = docker_default_caps();
  DefaultProfileStance stance = DefaultProfileStance::kBlocks;
  for (const ProfileSyscall& entry : builtin->profile.syscalls) {
    if (entry.action != ProfileAction::kAllow) continue;
    if (std::find(entry.names.begin(), entry.names.end(), syscall) == entry.names.end()) continue;
    // moby's caps filter, for Docker's default set.
    const bool included = std::all_of(entry.includes.caps.begin(), entry.includes.caps.end(),
                                      [&](const std::string& c) { return docker_caps.contains(c); });
    const bool excluded = std::any_of(entry.excludes.caps.begin(), entry.excludes.caps.end(),
                                      [&](const std::string& c) { return docker_caps.contains(c); });
    if (!included || excluded) continue;
    if (entry.args.empty()) return DefaultProfileStance::kAllows;
    stance = DefaultProfileStance::kAllowsSome;
  }
  return stance;
}

}  // namespace sysfence::profile
