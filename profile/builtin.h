// What sysfence carries built in: Docker's default profile (selectable as
// "default"), and the table of syscalls that profile blocks, with the reason
// for each, from Docker's profile documentation
// (profile/data/docker-seccomp-profiles.md).
#pragma once

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

}  // namespace sysfence::profile
