#include "policy/policy.h"

#include "policy/operators.h"

namespace sysfence::policy {

namespace {

using syscalls::ArchId;

// Under AUDIT_ARCH_X86_64, which ABI of the policy decides `nr`. x32 shares
// the audit value and marks its numbers with __X32_SYSCALL_BIT (0x40000000,
// arch/x86/include/uapi/asm/unistd.h). The split follows libseccomp's
// x86_64 filter (gen_bpf.c): `jge 0x40000000` is an unsigned BPF test, then
// `jeq -1` takes the tracer's "skip this call" back to the x86_64 rules:
//   [0x00000000, 0x3fffffff]  x86_64
//   [0x40000000, 0xfffffffe]  x32 — also 0x80000000..0xbfffffff, whose bit 30
//                             is clear: as signed ints they are negative, but
//                             the unsigned jge puts them above the x32 bit
//   0xffffffff (-1)           x86_64 (x32 when the policy has only x32: its
//                             libseccomp filter sends every nr >= 0x40000000
//                             to x32)
// -1 is what a tracer writes into orig_rax to skip a call (strace's inject,
// PTRACE_SYSCALL users); since Linux 4.8 the filter runs after the tracer's
// syscall-entry stop and sees that -1, so a bad-arch answer there would kill
// every process a tracer skips a call of. The
// kernel itself gives 0x40000000 + n to x32 only below X32_NR_syscalls and
// answers every other unknown number but -1 with -ENOSYS.
constexpr uint32_t kX32First = 0x40000000U;
constexpr uint32_t kSkippedCall = 0xffffffffU;

const ArchPolicy* x86_64_number_owner(const Policy& policy, uint32_t nr) {
  if (nr < kX32First) return policy.find(ArchId::kX86_64);
  if (nr != kSkippedCall) return policy.find(ArchId::kX32);
  const ArchPolicy* x86_64 = policy.find(ArchId::kX86_64);
  return x86_64 != nullptr ? x86_64 : policy.find(ArchId::kX32);
}

}  // namespace

const ArchPolicy* Policy::find(syscalls::ArchId id) const {
  for (const auto& a : arches)
    if (a.arch == id) return &a;
  return nullptr;
}

bool condition_holds(const ArgCondition& c, uint64_t arg) {
  if (c.width == ArgWidth::k32)
    return holds<uint32_t>(c.op, static_cast<uint32_t>(arg), static_cast<uint32_t>(c.value),
                           static_cast<uint32_t>(c.value_two));
  return holds<uint64_t>(c.op, arg, c.value, c.value_two);
}

Decision evaluate(const Policy& policy, const SeccompData& d) {
  const ArchPolicy* abi = nullptr;
  const auto& x86_64 = syscalls::arch(syscalls::ArchId::kX86_64);
  if (d.arch == x86_64.audit_arch) {
    abi = x86_64_number_owner(policy, d.nr);
  } else {
    for (const auto& a : policy.arches) {
      if (a.arch == syscalls::ArchId::kX32) continue;  // reached through x86_64 only
      if (syscalls::arch(a.arch).audit_arch == d.arch) {
        abi = &a;
        break;
      }
    }
  }
  if (abi == nullptr) return Decision{policy.bad_arch_action, nullptr, nullptr};

  auto it = abi->rules.find(d.nr);
  if (it != abi->rules.end()) {
    const Rule* best = nullptr;
    for (const Rule& r : it->second) {
      bool all = true;
      // ArgCondition.index is 0..5 by construction; an out-of-range one never holds.
      for (const auto& c : r.conditions) all = all && c.index < 6 && condition_holds(c, d.args[c.index]);
      if (all && (best == nullptr || more_restrictive(r.action, best->action))) best = &r;
    }
    if (best != nullptr) return Decision{best->action, abi, best};
    return Decision{abi->default_action, abi, nullptr};
  }
  if (abi->enosys_above && d.nr > *abi->enosys_above) return Decision{Action::Errno(abi->enosys_errno), abi, nullptr};
  return Decision{abi->default_action, abi, nullptr};
}

}  // namespace sysfence::policy
