// Whether two lists of rules match the same inputs (their actions aside):
// libseccomp's filter for rules of one action, read back into disjoint paths
// (profile/libseccomp_tree.h), may match inputs no rule matches, or miss some,
// where its tree merges the rules' chains; where it does not, the rules as
// written say the same in fewer tests.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "policy/rule.h"

namespace sysfence::policy {

// Each rule is the conjunction of its conditions (none: every input); a list
// matches the union of its rules. true when `a` and `b` match the same
// inputs, false when some input is matched by one and not the other, nullopt
// where deciding it would take more than `budget` steps (one step per
// conjunction tested for an input).
std::optional<bool> match_same_inputs(const std::vector<Rule>& a, const std::vector<Rule>& b, size_t budget);
// The same, charging the steps taken to `steps` (what is left of a budget
// shared by several questions).
std::optional<bool> match_same_inputs_charged(const std::vector<Rule>& a, const std::vector<Rule>& b, size_t& steps);

}  // namespace sysfence::policy
