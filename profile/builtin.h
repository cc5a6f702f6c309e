// What sysfence carries built in: Docker's default profile (selectable as
// "default"), and the table of syscalls that profile blocks, with the reason
// for each, from Docker's profile documentation
// (profile/data/docker-seccomp-profiles.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/expected.h"
#include "profile/reader.h"

namespace sysfence::profile {

// The name the built-in profile goes by in messages and SourceRefs.
inline constexpr std::string_view kBuiltinDefaultName = "default";

// moby's profiles/seccomp/default.json, byte for byte (profile/data/).
std::string_view builtin_default_profile_json();
// Reads it (source name "default").
Expected<ReadResult> read_builtin_default();

struct BlockedReason {
  std::string_view syscall;
  std::string_view reason;
};
// Docker's documented "Syscalls blocked by the default profile" table, sorted
// by name.
std::span<const BlockedReason> seed_blocked_reasons();
std::optional<std::string_view> seed_reason(std::string_view syscall);

// What Docker's current default profile (the built-in one) does with a
// syscall for a container with Docker's default capabilities, on whichever
// ABIs and kernels its entries name: the documentation's table above is
// older than the profile, which now allows some of the calls it lists.
enum class DefaultProfileStance : uint8_t {
  kBlocks,      // no ALLOW entry applies
  kAllows,      // an ALLOW entry without argument conditions
  kAllowsSome,  // only ALLOW entries with argument conditions
};
DefaultProfileStance builtin_default_stance(std::string_view syscall);

}  // namespace sysfence::profile
