#include "test/verify/flag_rules.h"

#include <random>
#include <utility>
#include <vector>

namespace sysfence::verify::testing {

policy::Policy flag_mask_policy(uint64_t seed, unsigned rules, unsigned min_conditions, unsigned arguments) {
  std::mt19937_64 rng(seed);
  policy::ArchPolicy x86_64;
  x86_64.arch = syscalls::ArchId::kX86_64;
  x86_64.default_action = Action::Errno(1);
  std::vector<policy::Rule> ioctl;
  for (unsigned r = 0; r < rules; ++r) {
    policy::Rule rule{rng() % 2 ? Action::Allow() : Action::Errno(13), {}, {}};
    unsigned used = 0;
    for (unsigned n = min_conditions + rng() % (4 - min_conditions); rule.conditions.size() < n;) {
      const auto index = static_cast<uint8_t>(rng() % arguments);
      if (used & (1u << index)) continue;
      used |= 1u << index;
      policy::ArgCondition c;
      c.index = index;
      c.op = policy::CmpOp::kMaskedEq;
      for (unsigned bits = 1 + rng() % 3; bits > 0; --bits) c.value |= uint64_t{1} << (rng() % 64);
      c.value_two = rng() & c.value;
      rule.conditions.push_back(c);
    }
    ioctl.push_back(std::move(rule));
  }
  x86_64.rules.emplace(kIoctl, policy::RuleList(std::move(ioctl)));
  policy::Policy p;
  p.arches.push_back(std::move(x86_64));
  return p;
}

}  // namespace sysfence::verify::testing
