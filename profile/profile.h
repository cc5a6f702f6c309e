// The profile document model: a Docker/moby, containers-common or OCI
// runtime-spec seccomp profile exactly as written (nothing resolved yet).
// resolve.h turns it into a Policy for one architecture, capability set and
// kernel version.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/seccomp.h"
#include "policy/policy.h"
#include "syscalls/table.h"

namespace sysfence::profile {

// Which reader produced the document; decides whether moby's conditional
// fields (archMap, includes/excludes, name, comment) mean anything.
enum class ProfileFormat : uint8_t {
  kDocker,     // a moby/containers-common profile file (a superset of OCI's)
  kOciConfig,  // the linux.seccomp object of a whole OCI config.json
};

// The action spellings a profile may use (libseccomp names). Kept apart from
// base/seccomp.h's Action because SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD are
// different words for the same thing and the writer keeps what was written.
enum class ProfileAction : uint8_t {
  kKill,         // SCMP_ACT_KILL: KILL_THREAD (libseccomp's historical name)
  kKillThread,   // SCMP_ACT_KILL_THREAD
  kKillProcess,  // SCMP_ACT_KILL_PROCESS
  kTrap,         // SCMP_ACT_TRAP
  kErrno,        // SCMP_ACT_ERRNO (errnoRet, default EPERM)
  kTrace,        // SCMP_ACT_TRACE (errnoRet is the tracer's message, default EPERM)
  kAllow,        // SCMP_ACT_ALLOW
  kLog,          // SCMP_ACT_LOG
  kNotify,       // SCMP_ACT_NOTIFY (USER_NOTIF)
};
std::string_view to_string(ProfileAction a);  // "SCMP_ACT_ERRNO"
std::optional<ProfileAction> parse_profile_action(std::string_view s);
std::span<const std::string_view> profile_action_names();
// KILL -> KILL_THREAD, NOTIFY -> USER_NOTIF; `data` goes to ERRNO and TRACE.
Action to_action(ProfileAction a, uint16_t data);

// Comparison operators (policy.h's CmpOp) as written: SCMP_CMP_*.
std::string_view to_string(policy::CmpOp op);  // "SCMP_CMP_MASKED_EQ"
std::optional<policy::CmpOp> parse_cmp_op(std::string_view s);
std::span<const std::string_view> cmp_op_names();

// Where something is in the source text (1-based; 0 = not from a file).
struct SourcePos {
  uint32_t line = 0;
  uint32_t col = 0;
  friend bool operator==(const SourcePos&, const SourcePos&) = default;
};

struct ProfileArg {
  uint32_t index = 0;  // 0..5 (checked by the reader)
  uint64_t value = 0;
  uint64_t value_two = 0;
  policy::CmpOp op = policy::CmpOp::kEq;
  SourcePos pos;
  friend bool operator==(const ProfileArg&, const ProfileArg&) = default;
};

// moby's includes/excludes filter.
struct ProfileFilter {
  std::vector<std::string> caps;
  std::vector<std::string> arches;                    // moby "native" spellings: amd64, arm64, x32, ...
  std::optional<syscalls::KernelVersion> min_kernel;  // "X.Y"
  bool empty() const { return caps.empty() && arches.empty() && !min_kernel; }
  friend bool operator==(const ProfileFilter&, const ProfileFilter&) = default;
};

struct ProfileSyscall {
  std::vector<std::string> names;
  bool legacy_name = false;  // written as the single "name" (older Docker profiles)
  // "name" and "names" both set: moby refuses the profile if the entry
  // survives includes/excludes (`names` holds "names" only).
  bool name_and_names = false;
  ProfileAction action = ProfileAction::kErrno;
  // "errnoRet" as written (Go decodes it as uint; runc keeps the low 16 bits).
  std::optional<uint64_t> errno_ret;
  std::string errno_name;  // containers-common "errno" ("EPERM"); wins over errnoRet
  std::vector<ProfileArg> args;
  std::string comment;
  ProfileFilter includes;
  ProfileFilter excludes;
  SourcePos pos;  // the entry's opening brace
  friend bool operator==(const ProfileSyscall&, const ProfileSyscall&) = default;
};

struct ProfileArchMap {
  std::string architecture;  // SCMP_ARCH_*
  std::vector<std::string> sub_architectures;
  SourcePos pos;
  friend bool operator==(const ProfileArchMap&, const ProfileArchMap&) = default;
};

struct Profile {
  std::string source;  // the name errors and SourceRefs use ("default", a path, "<stdin>")
  ProfileFormat format = ProfileFormat::kDocker;
  // Absent (or "") together with an empty syscalls list means "seccomp
  // disabled" to moby and runc; resolve() reports that as an error.
  std::optional<ProfileAction> default_action;
  // Where the value of defaultAction is, for the findings it decides;
  // unset (0:0) when it is absent.
  SourcePos default_action_pos;
  std::optional<uint64_t> default_errno_ret;
  std::string default_errno;  // containers-common "defaultErrno"; wins over defaultErrnoRet
  // Where the value of defaultErrno (or else defaultErrnoRet) is, for the
  // messages about it; unset (0:0) when neither is given.
  SourcePos default_errno_pos;
  std::vector<std::string> architectures;  // SCMP_ARCH_* (or SCMP_ARCH_NATIVE)
  std::vector<ProfileArchMap> arch_map;
  std::vector<std::string> flags;  // SECCOMP_FILTER_FLAG_*
  std::string listener_path;
  std::string listener_metadata;
  std::vector<ProfileSyscall> syscalls;
  // Position of the seccomp object (useful for whole-config errors).
  SourcePos pos;

  friend bool operator==(const Profile&, const Profile&) = default;
};

// The seccomp filter flags runc knows (SECCOMP_FILTER_FLAG_TSYNC is accepted
// and ignored by runc, so it is accepted here too).
bool is_known_filter_flag(std::string_view flag);
std::span<const std::string_view> filter_flag_names();

}  // namespace sysfence::profile
