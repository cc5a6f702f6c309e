// Random valid Docker seccomp profiles for the libseccomp differential test:
// a plain model of the profile format (written from Docker's and runc's
// documentation, sharing nothing with profile/), its JSON text, and the
// moby/runc reading of it (includes/excludes, runc's action values) that the
// libseccomp side and the difference classes use. Deterministic per seed.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sysfence::testing {

// The SCMP_ACT_* spellings of a profile, in the order they are drawn.
enum class ProfileActionKind : uint8_t {
  kAllow,
  kErrno,
  kTrap,
  kTrace,
  kLog,
  kKill,  // runc: KILL_THREAD
  kKillProcess,
  kKillThread,
  kNotify,
};

struct ProfileArg {
  unsigned index = 0;
  std::string_view op;  // "SCMP_CMP_EQ", ...
  uint64_t value = 0;
  uint64_t value_two = 0;  // MASKED_EQ: the datum (value is the mask)
};

// includes / excludes: each list empty when absent.
struct ProfileFilter {
  std::vector<std::string_view> arches;  // moby spellings ("amd64", ...)
  std::vector<std::string_view> caps;
  std::string_view min_kernel;  // "" when absent
};

struct ProfileEntry {
  std::vector<std::string> names;
  ProfileActionKind action = ProfileActionKind::kAllow;
  std::optional<uint64_t> errno_ret;
  std::vector<ProfileArg> args;
  ProfileFilter includes;
  ProfileFilter excludes;
};

struct RandomProfile {
  ProfileActionKind default_action = ProfileActionKind::kErrno;
  std::optional<uint64_t> default_errno_ret;
  std::vector<ProfileEntry> syscalls;
};

// The native architectures the test builds for, with the spellings each
// side uses. `moby` is runtime.GOARCH as moby matches includes/excludes
// "arches" against it.
struct NativeArch {
  std::string_view sysfence;  // sysfence's short name
  uint32_t scmp_token;        // SCMP_ARCH_* value
  std::string_view moby;
};
std::span<const NativeArch> native_arches();

// `names` is the pool syscall names are drawn from (names some ABI knows,
// plus a few no ABI knows).
RandomProfile random_profile(std::mt19937_64& rng, std::span<const std::string> names);

// The profile as Docker's JSON format (every key Docker documents).
std::string to_json(const RandomProfile& p);

// runc's action value for an entry or the default (SCMP_ACT_KILL is
// KILL_THREAD; ERRNO and TRACE take errnoRet's low 16 bits, else EPERM).
uint32_t action_value(ProfileActionKind kind, std::optional<uint64_t> errno_ret);
std::string_view action_spelling(ProfileActionKind kind);

// moby's setupSeccomp includes/excludes tests on a host `native` with
// Docker's default capabilities and kernel 6.1.
bool moby_keeps(const ProfileEntry& e, const NativeArch& native);

// Docker's default capability set.
std::span<const std::string_view> docker_caps();

}  // namespace sysfence::testing
