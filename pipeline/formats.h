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
};

// "proved equal to the policy (N paths, M word constraints)" or
// "not proved (compiled with --no-verify)".
std::string describe_proof(const OutputInfo& info);

// A C identifier from free text: "docker-default.json" -> "docker_default".
std::string c_identifier(std::string_view text);

// `static const struct sock_filter NAME[]` (one instruction per line with its
// disassembly as a comment) and `static const struct sock_fprog NAME_prog`,
// behind an include guard, including only <linux/filter.h>. The leading
// comment names the profile, the ABIs, the length, the expected cost and the
// actions downgraded for the target kernel.
std::string c_header(const compiler::Compiled& c, const OutputInfo& info, std::string_view name);

// {"profile", "native", "strategy", "weights", "proof", "notes": [...],
//  "policy": {...}, "program": {...}, "report": [...]} with two-space
// indentation; after "notes", when actions were downgraded,
// "target_kernel": {"kernel": "3.18", "downgrades": ["SCMP_ACT_LOG -> SCMP_ACT_ALLOW"]}.
std::string json_output(const compiler::Compiled& c, const policy::Policy& policy, const OutputInfo& info);

}  // namespace sysfence::pipeline
