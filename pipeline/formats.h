// Output formats of `sysfence compile` besides raw bytes and the
// disassembly: a self-contained C header and JSON (resolved policy +
// program + the compiler's report).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/compile.h"
#include "pipeline/c_header.h"
#include "policy/policy.h"
#include "syscalls/arch.h"

namespace sysfence::pipeline {

// What the output describes, for comments and JSON.
struct OutputInfo {
  std::string profile;  // as the user named it ("default", a path, "<stdin>")
  const syscalls::Arch* native = nullptr;
  std::string strategy;
  std::string weights;
  // The proof `compile` ran before writing (absent with --no-verify).
  struct Proof {
    uint64_t paths = 0;
    uint64_t word_constraints = 0;
    uint64_t sat_conflicts = 0;  // verify::EquivResult::sat_conflicts
  };
  std::optional<Proof> proof;
  // The resolution's notes (profile::Resolution::notes): names an ABI of the
  // filter does not know and skips, and the like.
  std::vector<std::string> notes;
  // The actions mapped for the target kernel (Result::downgrades,
  // "SCMP_ACT_LOG -> SCMP_ACT_ALLOW") and that kernel ("3.18"); shown only
  // when there are any, so that other output stays as it was.
  std::vector<std::string> downgrades;
  std::string kernel;
  // The target kernel as a version (the C header's installer and summary)
  // and the seccomp(2) flags its installer passes (parse_install_flags).
  syscalls::KernelVersion target;
  uint32_t install_flags = 0;
  // install_flags are the profile's "flags" (profile_install_flags), not
  // --install-flags; the notes say which of them the header leaves out.
  bool install_flags_from_profile = false;
  std::vector<std::string> install_flag_notes;
  // Per ABI, the syscalls newer than the target kernel that answer ENOSYS
  // (pipeline::Result::newer_syscalls); the C header lists them.
  std::vector<std::string> newer_syscalls;
};

// "proved equal to the policy (N paths, M word constraints)" or
// "not proved (compiled with --no-verify)".
std::string describe_proof(const OutputInfo& info);

// The C header (pipeline/c_header.h) of a compiled profile. The leading
// comment names the profile, the ABIs, the length, the expected cost, the
// proof, the target kernel, the install flags and the actions downgraded for
// the target kernel; `name` is the array's identifier.
std::string c_header(const compiler::Compiled& c, const OutputInfo& info, std::string_view name);

// {"profile", "native", "strategy", "weights", "proof", "notes": [...],
//  "policy": {...}, "program": {...}, "report": [...]} with two-space
// indentation; after "notes", when actions were downgraded,
// "target_kernel": {"kernel": "3.18", "downgrades": ["SCMP_ACT_LOG -> SCMP_ACT_ALLOW"]}.
std::string json_output(const compiler::Compiled& c, const policy::Policy& policy, const OutputInfo& info);

}  // namespace sysfence::pipeline
