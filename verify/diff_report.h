// `sysfence diff`'s report: the regions where two filters differ, grouped by
// architecture and syscall, each with its argument conditions, both actions
// and a concrete (confirmed) example input.
#pragma once

#include <string>
#include <string_view>

#include "verify/equiv.h"

namespace sysfence::verify {

struct DiffReportOptions {
  std::string_view name_a = "A";
  std::string_view name_b = "B";
  size_t max_regions = 200;       // regions printed (the count is always exact)
  size_t max_syscall_names = 12;  // names listed for a range of numbers
  // Filter stacks: print where each such side decided each region (its
  // procedure's description of the leaf, naming the deciding filter).
  bool where_a = false;
  bool where_b = false;
};

// The whole report, ending in a newline. For equivalent results:
// "equivalent (proved: N paths, M word constraints)".
std::string format_diff(const EquivResult& r, const DiffReportOptions& options = {});

}  // namespace sysfence::verify
