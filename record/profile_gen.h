// Observations -> a least-privilege Docker profile.
//
// The profile denies by default (SCMP_ACT_ERRNO, errnoRet EPERM) and allows
// what was recorded: one SCMP_ACT_ALLOW entry per set of ABIs with the
// sorted names seen on exactly those ABIs (its comment names the command,
// the date and the ABIs), and an archMap pairing the native ABI with the
// other ABIs seen. Docker's format applies every name to every ABI of the
// filter, so a name seen on one ABI only is allowed on the others seen too.
//
// With argument rules (`--args`), in the style of Docker's own profile and
// never wider than what was seen:
//   clone        arg0 (arg1 on s390) MASKED_EQ on the namespace bits
//                (0x7e020000, Docker's mask): one entry per combination seen
//   unshare      arg0 MASKED_EQ on the namespace bits and CLONE_NEWTIME
//   socket       arg0 EQ each address family seen
//   personality  arg0 EQ each persona seen
//   prctl        arg0 EQ each option seen
//   ioctl        arg1 EQ each request seen (only with --args=ioctl)
// clone3 passes its flags in memory, which a filter cannot read: it stays a
// plain name. A syscall whose distinct argument tuples overflowed the
// recorder's bound stays a plain name as well (the comment says so).
//
// restart_syscall, through which the kernel continues a nanosleep, futex
// wait or poll that a stop signal or a tracer interrupted, is allowed on
// the ABIs where those were seen, in an entry of its own, when the
// recording did not see it (and the base does not allow it).
//
// With a base profile (`--base`), resolved for this machine, only what the
// base does not already allow is written: each recorded argument tuple is
// asked of policy::evaluate (calls without kept arguments with zero
// arguments), and what it answers with ALLOW or LOG is left out.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"
#include "policy/policy.h"
#include "profile/profile.h"
#include "record/observations.h"
#include "syscalls/arch.h"

namespace sysfence::record {

struct GenerateOptions {
  bool args = false;        // --args
  bool ioctl_args = false;  // --args=ioctl (implies args)
  // --base, resolved; null: none.
  const policy::Policy* base = nullptr;
  syscalls::ArchId native = syscalls::native_arch().id;
};

struct Generated {
  profile::Profile profile;
  // Calls the profile cannot name (numbers no table knows), "x86_64 #999".
  std::vector<std::string> unnamed;
};

Generated generate_profile(const Observations& obs, const GenerateOptions& options);

// The profile as JSON text (profile/writer.h), newline-terminated.
std::string profile_json(const profile::Profile& p);

// `--base PROFILE` ("default", a path) resolved for this machine through the
// pipeline, with Docker's default capabilities.
Expected<policy::Policy> resolve_base(const std::string& profile);

// The namespace bits of clone's flags Docker's profile checks.
inline constexpr uint64_t kCloneNamespaceMask = 0x7e020000;
// unshare's: the same and CLONE_NEWTIME.
inline constexpr uint64_t kUnshareNamespaceMask = 0x7e020080;

}  // namespace sysfence::record
