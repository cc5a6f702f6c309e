#include "profile/multiplex.h"

namespace sysfence::profile {

std::optional<MultiplexTarget> multiplex_target(syscalls::ArchId abi, std::string_view name) {
  const syscalls::MultiplexedCall* call = syscalls::multiplexed_call(name);
  if (call == nullptr) return std::nullopt;
  const auto nr = syscalls::multiplexer_number(abi, call->via);
  if (!nr) return std::nullopt;
  return MultiplexTarget{*nr, call};
}

bool widens(MultiplexRewrite mode, bool has_conditions) {
  return mode == MultiplexRewrite::kLibseccomp || !has_conditions;
}

std::vector<policy::ArgCondition> multiplexer_conditions(MultiplexRewrite mode, const syscalls::MultiplexedCall& call,
                                                         std::span<const policy::ArgCondition> own,
                                                         policy::ArgWidth arg0_width) {
  std::vector<policy::ArgCondition> out;
  if (mode == MultiplexRewrite::kExact) {
    const uint64_t mask = syscalls::multiplexer_call_mask(call.via);
    if (mask == ~uint64_t{0}) out.push_back(policy::ArgCondition{0, policy::CmpOp::kEq, call.call, 0, arg0_width});
    else out.push_back(policy::ArgCondition{0, policy::CmpOp::kMaskedEq, mask, call.call, arg0_width});
    return out;
  }
  // libseccomp (arch-x86.c x86_rule_add and its siblings) overwrites
  // args[0] of the rule with SCMP_CMP_EQ, mask DATUM_MAX, datum = call.
  out.push_back(policy::ArgCondition{0, policy::CmpOp::kEq, call.call, 0, arg0_width});
  for (const policy::ArgCondition& c : own)
    if (c.index != 0) out.push_back(c);
  return out;
}

}  // namespace sysfence::profile
