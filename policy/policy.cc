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

}  // namespace

const ArchPolicy* x86_64_number_owner(const Policy& policy, uint32_t nr) {
  if (nr < kX32First) return policy.find(ArchId::kX86_64);
  if (nr != kSkippedCall) return policy.find(ArchId::kX32);
  const ArchPolicy* x86_64 = policy.find(ArchId::kX86_64);
  return x86_64 != nullptr ? x86_64 : policy.find(ArchId::kX32);
}

const ArchPolicy* enosys_owner_x86_64(const Policy& policy, uint32_t nr) {
  const ArchPolicy* abi = policy.find((nr & kX32First) != 0 ? ArchId::kX32 : ArchId::kX86_64);
  return abi != nullptr && abi->enosys_above ? abi : nullptr;
}

bool x86_64_thresholds_follow_owner(const Policy& policy) {
  const ArchPolicy* x64 = policy.find(ArchId::kX86_64);
  const ArchPolicy* x32 = policy.find(ArchId::kX32);
  const bool x64_stub = x64 != nullptr && x64->enosys_above;
  const bool x32_stub = x32 != nullptr && x32->enosys_above;
  if (!x64_stub && !x32_stub) return true;
  // Both thresholds below every number the two rules give to different
  // ABIs (0x80000000..0xbfffffff and -1): ENOSYS either way.
  constexpr uint32_t kBit31 = 0x80000000U;
  return x64_stub && x32_stub && *x64->enosys_above < kBit31 && *x32->enosys_above < kBit31 &&
         x64->enosys_errno == x32->enosys_errno;
}

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
  const ArchPolicy* stub = nullptr;  // the ABI whose ENOSYS threshold applies
  const auto& x86_64 = syscalls::arch(syscalls::ArchId::kX86_64);
  if (d.arch == x86_64.audit_arch) {
    abi = x86_64_number_owner(policy, d.nr);
    stub = enosys_owner_x86_64(policy, d.nr);
  } else {
    for (const auto& a : policy.arches) {
      if (a.arch == syscalls::ArchId::kX32) continue;  // reached through x86_64 only
      if (syscalls::arch(a.arch).audit_arch == d.arch) {
        abi = &a;
        break;
      }
    }
    stub = abi;
  }
  const RuleList* rules = nullptr;
  if (abi != nullptr) {
    if (const auto it = abi->rules.find(d.nr); it != abi->rules.end()) rules = &it->second;
  }
  const bool has_rules = rules != nullptr;
  // runc's stub answers before the filter runs (and the rules above its
  // threshold are dropped when the policy is resolved).
  if (!has_rules && stub != nullptr && stub->enosys_above && d.nr > *stub->enosys_above)
    return Decision{Action::Errno(stub->enosys_errno), stub, nullptr, true};
  if (abi == nullptr) return Decision{policy.bad_arch_action, nullptr, nullptr};
  if (has_rules) {
    const Rule* best = nullptr;
    for (const Rule& r : *rules) {
      bool all = true;
      // ArgCondition.index is 0..5 by construction; an out-of-range one never holds.
      for (const auto& c : r.conditions) all = all && c.index < 6 && condition_holds(c, d.args[c.index]);
      if (all && (best == nullptr || more_restrictive(r.action, best->action))) best = &r;
    }
    if (best != nullptr) return Decision{best->action, abi, best};
  }
  return Decision{abi->default_action, abi, nullptr};
}

}  // namespace sysfence::policy
