// Whether two rules of one syscall can match the same input, exactly: a rule
// is a conjunction of per-argument conditions, so two rules overlap iff, for
// every argument, the values both rules' conditions on it accept have one in
// common. Each operator accepts an interval (LT, LE, GE, GT, EQ), an interval
// minus a point (NE) or a masked set (MASKED_EQ), so that question has an
// exact answer in a few word operations per condition.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "policy/policy.h"

namespace sysfence::policy {

// Six argument values every condition of `a` and of `b` holds for (an
// argument no condition names is 0), or nullopt when no input matches both.
// Each condition is read with its own width (condition_holds); the witness
// satisfies condition_holds for all of them.
std::optional<std::array<uint64_t, 6>> common_input(std::span<const ArgCondition> a, std::span<const ArgCondition> b);

}  // namespace sysfence::policy
