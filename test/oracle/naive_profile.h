// A deliberately naive second reading of a Docker seccomp profile, written
// from the format's documentation (Docker's, profile/README.md, README.md)
// alone, to check the compiler against something that shares none of its
// code: no profile reader, no resolver, no Policy, no evaluator. It parses
// the JSON with Boost.JSON itself and answers one seccomp_data at a time by
// a linear scan over the profile's entries. Only the syscall tables, the
// argument widths and the kernel's SECCOMP_RET_* constants are borrowed,
// because they are data, not semantics.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "syscalls/arch.h"

namespace sysfence::oracle {

enum class NaiveUnknown : uint8_t { kRuncRule, kEnosys, kDefault };

struct NaiveOptions {
  syscalls::ArchId native = syscalls::ArchId::kX86_64;
  std::set<std::string, std::less<>> caps;
  unsigned kernel_major = 6;
  unsigned kernel_minor = 1;
  NaiveUnknown unknown = NaiveUnknown::kRuncRule;
  bool arg_width_64 = false;  // --arg-width 64 (else abi)
  uint32_t bad_arch_ret = kRetKillProcess;
  // MASKED_EQ as Docker/libseccomp mean it: (arg & mask) == (datum & mask).
  // Off: the older literal reading (arg & mask) == datum.
  bool docker_masked_eq = true;
  // Syscall number 0xffffffff under AUDIT_ARCH_X86_64 is an ordinary
  // number of x86_64 (a tracer's "skip this call"), not an x32 one.
  bool nr_minus1_normal = true;
};

struct NaiveCondition {
  unsigned index = 0;
  std::string op;  // "SCMP_CMP_EQ", ...
  uint64_t value = 0;
  uint64_t value_two = 0;
};

struct NaiveEntry {
  std::vector<std::string> names;
  uint32_t ret = 0;  // the full SECCOMP_RET_* value
  std::vector<NaiveCondition> conditions;
  bool any_condition = false;  // an argument index repeats: runc ORs them
};

class NaiveFilter {
 public:
  // The full 32-bit value the filter for this profile must return.
  uint32_t decide(const SeccompData& d) const;

  std::vector<syscalls::ArchId> abis;  // native first
  std::vector<NaiveEntry> entries;     // only those includes/excludes keep
  uint32_t default_ret = 0;
  bool enosys_stub = false;
  // The ABIs the profile lists (architectures, or the native archMap entry
  // and its subArchitectures): runc's stub covers only these.
  std::vector<syscalls::ArchId> listed;
  uint32_t enosys_ret = 0;
  NaiveOptions options;

 private:
  // What the entries say about d.nr on `abi`: the winning rule's value,
  // whether some entry names the number, the largest number they name.
  struct OnAbi {
    std::optional<uint32_t> winner;
    bool named = false;
    uint32_t largest = 0;
  };
  OnAbi rules_on(syscalls::ArchId abi, const SeccompData& d) const;
  // Whether runc's stub (or --unknown-syscalls enosys) answers d.nr on `abi`.
  bool stub_answers(syscalls::ArchId abi, const SeccompData& d) const;
  // The answer on `abi`: its rules, the stub (with `stub`), its default.
  uint32_t decide_on(syscalls::ArchId abi, const SeccompData& d, bool stub) const;
  bool holds(syscalls::ArchId abi, uint32_t nr, const NaiveCondition& c, uint64_t arg) const;
};

// Errors: JSON that is not a Docker profile this reading understands.
Expected<NaiveFilter> naive_filter(std::string_view text, const NaiveOptions& options);

}  // namespace sysfence::oracle
