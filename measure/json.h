// `sysfence stats --format json`: the measurements (and, for a PROFILE, the
// compiler's own cost model; with --compare, every strategy) as data
// (docs/json.md).
#pragma once

#include <boost/json.hpp>

#include "compiler/compile.h"
#include "compiler/weights.h"
#include "measure/compare.h"
#include "measure/stats.h"

namespace sysfence::measure {

// {"length", "weights", "abis": [{"abi", "range", "max_insns", "mean_insns",
//  "weighted_mean_insns", "allowed", ..., "cache": {...}, "bound_tests",
//  "insns": [per number]}]}
boost::json::object to_json(const ProgramStats& s, const compiler::Weights& w);

// {"strategy", "weights", "arches": [{"abis", "audit_arch", "intervals",
//  "tree_tests", "dispatch_insns", "tree_cost", "expected_insns"}], "trampolines"}
boost::json::object compiler_model_json(const compiler::Compiled& c, const compiler::CompileOptions& o);

// {"weights", "compiled_weights", "strategies": [{"strategy", "name",
//  ...to_json, each ABI with "answers_unlike_optimal"}]}; an external
// filter's "strategy" is "external", its "name" the one it was given.
boost::json::object to_json(const Comparison& c);

}  // namespace sysfence::measure
