#include "profile/builtin.h"

#include <algorithm>

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
