// `sysfence audit PROFILE`: the profile as resolved (constants wider than
// the argument the kernel reads, the default action) and the program
// sysfence compiles from it (every check of program_audit.h, each finding
// naming the profile rule that decides its example input).
#pragma once

#include <cstdint>
#include <optional>

#include "audit/finding.h"
#include "base/expected.h"
#include "profile/profile.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::audit {

struct ProfileAuditOptions {
  // The ABI the profile was resolved for (ResolveOptions::native).
  const syscalls::Arch* native = nullptr;
  // How the compiled program compares arguments (for the report's scope line).
  profile::ArgWidthMode arg_width = profile::ArgWidthMode::kAbi;
  uint64_t max_paths = 200'000;
  uint64_t max_work = 8'000'000;                  // see ProgramAuditOptions
  std::optional<syscalls::KernelVersion> kernel;  // see ProgramAuditOptions
};

// Errors: the policy does not compile (more than 4096 instructions, ...).
Expected<Report> audit_profile(const profile::Profile& profile, const profile::Resolution& resolution,
                               const ProfileAuditOptions& options);

}  // namespace sysfence::audit
