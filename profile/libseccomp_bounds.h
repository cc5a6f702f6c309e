// libseccomp's rule tree for > and >= comparisons of one argument, internal
// to profile/ (rule_database.cc's fallback where libseccomp_tree.h's model
// does not apply).
#pragma once

#include <vector>

#include "policy/policy.h"

namespace sysfence::profile {

// Whether every rule is one > or >= comparison of one and the same argument,
// read with one width: the shape tree_as_disjoint_rules models.
bool one_argument_lower_bounds(const std::vector<policy::Rule>& rules);

// The rules libseccomp's database keeps of that shape (in the order added)
// -> disjoint rules giving what its tree answers.
std::vector<policy::Rule> tree_as_disjoint_rules(const std::vector<policy::Rule>& kept);

}  // namespace sysfence::profile
