// The documented classes of differences between libseccomp 2.5.4's filters
// and sysfence's (--semantics libseccomp) for the same profile, for
// libseccomp_differential_test: each a named predicate on one confirmed
// difference (the concrete input the equivalence checker found, both return
// values, the rules libseccomp was given), with its reason;
// data/libseccomp/DIFFERENTIAL.md describes each with an input that shows it.
// Switch a class off (`enabled = false` in libseccomp_diff_classes.cc) when
// the change that removes it lands: the test then proves it gone.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/seccomp.h"
#include "bpf/insn.h"
#include "syscalls/arch.h"
#include "test/verify/libseccomp_build.h"
#include "test/verify/random_profile.h"

namespace sysfence::testing {

// One confirmed difference, as the classes see it.
struct Difference {
  const NativeArch* native = nullptr;
  const syscalls::Arch* abi = nullptr;
  const RandomProfile* profile = nullptr;
  const LibseccompBuild* lib = nullptr;
  const bpf::Program* lib_program = nullptr;
  SeccompWords words{};  // the input as the filters load it
  SeccompData input;
  uint32_t libseccomp = 0;  // the libseccomp filter's return value
  uint32_t sysfence = 0;    // sysfence's
};

struct DiffClass {
  std::string_view name;
  std::string_view reason;
  bool enabled;
  bool (*explains)(const Difference&);
};

// Every class, in the order they are tried (the first that explains a
// difference counts it).
std::span<const DiffClass> difference_classes();

// sysfence's name for the input's syscall number on the ABI ("" if none).
std::string sysfence_name(const Difference& d);

// Why libseccomp refused the profile (runc would then not start the
// container), or "" when it is none of the known reasons (a failure).
std::string refusal_reason(const LibseccompBuild& lib, const syscalls::Arch& abi);

}  // namespace sysfence::testing
