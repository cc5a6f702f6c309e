// The --format json documents of `verify` and `diff`: the verdict, the proof's
// statistics and every counterexample or differing region as data (the
// schemas are in docs/json.md; base/json.h has the shared conventions).
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <string_view>

#include "verify/equiv.h"
#include "verify/verify.h"

namespace sysfence::verify {

// {"verdict", "proved", "paths", "word_constraints", "tested", "tests_run",
//  "not_proved_reason", "counterexample_count", "complete", "causes": [...],
//  "counterexamples": [...first max_shown...], "unsupported": [...],
//  "internal_errors": [...]}
boost::json::object to_json(const Verification& v, size_t max_shown);

// `diff`: "a" and "b" (the names), "identical", the same verdict fields, "region_count",
// "complete" and "regions": [{"abi", "syscall", "a_action", "b_action",
// "conditions", "example"}, ...] (the first max_regions).
// `identical`: the programs are the same instructions (no walk was needed).
boost::json::object diff_to_json(const EquivResult& r, std::string_view name_a, std::string_view name_b,
                                 size_t max_regions, bool identical);

}  // namespace sysfence::verify
