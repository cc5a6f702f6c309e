#include "profile/multiplex.h"

#include <vector>

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

void to_multiplexer_conditions(MultiplexRewrite mode, const syscalls::MultiplexedCall& call,
                               std::vector<policy::ArgCondition>& conds, policy::ArgWidth arg0_width) {
  if (mode == MultiplexRewrite::kExact) {
    const uint64_t mask = syscalls::multiplexer_call_mask(call.via);
    conds.clear();
    if (mask == ~uint64_t{0}) conds.push_back(policy::ArgCondition{0, policy::CmpOp::kEq, call.call, 0, arg0_width});
    else conds.push_back(policy::ArgCondition{0, policy::CmpOp::kMaskedEq, mask, call.call, arg0_width});
    return;
  }
  // libseccomp (arch-x86.c x86_rule_add and its siblings) overwrites
  // args[0] of the rule with SCMP_CMP_EQ, mask DATUM_MAX, datum = call.
  std::erase_if(conds, [](const policy::ArgCondition& c) { return c.index == 0; });
  conds.insert(conds.begin(), policy::ArgCondition{0, policy::CmpOp::kEq, call.call, 0, arg0_width});
}

}  // namespace sysfence::profile
