#include "policy/policy.h"

#include "policy/operators.h"

namespace sysfence::policy {

namespace {
// The x32 ABI shares AUDIT_ARCH_X86_64 and marks its syscall numbers with
// __X32_SYSCALL_BIT (arch/x86/include/uapi/asm/unistd.h).
constexpr uint32_t kX32SyscallBit = 0x40000000U;
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
    abi = policy.find((d.nr & kX32SyscallBit) != 0 ? syscalls::ArchId::kX32 : syscalls::ArchId::kX86_64);
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
