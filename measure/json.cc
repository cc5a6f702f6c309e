#include "measure/json.h"

#include "base/json.h"

namespace sysfence::measure {

namespace json = boost::json;

namespace {

json::object abi_json(const AbiStats& a) {
  json::object o;
  o["abi"] = syscalls::arch(a.abi).name;
  json::object range;
  range["lo"] = a.range.lo;
  range["hi"] = a.range.hi;
  o["range"] = std::move(range);
  o["max_insns"] = a.max_insns;
  o["mean_insns"] = a.mean_insns;
  o["weighted_mean_insns"] = a.weighted ? json::value(a.weighted_mean_insns) : json::value(nullptr);
  o["allowed"] = a.allowed;
  o["allowed_max_insns"] = a.allowed_max_insns;
  o["allowed_mean_insns"] = a.allowed_mean_insns;
  json::object cache;
  cache["present"] = a.has_cache;
  cache["table_syscalls"] = a.table_syscalls;
  cache["cached"] = a.cached;
  cache["allowed_uncached"] = a.allowed_uncached;
  o["cache"] = std::move(cache);
  json::array exempt;
  for (const ExemptCall& e : a.exempt) {
    json::object call;
    call["call"] = e.name;
    call["nr"] = e.nr;
    call["since"] = syscalls::to_string(e.since);
    call["filters_action"] = action_json(e.filters_action);
    call["filters_insns"] = e.filters_insns;
    exempt.push_back(std::move(call));
  }
  o["kernel_exempt"] = std::move(exempt);
  o["bound_tests"] = a.bound_tests;
  json::array insns;
  for (uint32_t n : a.insns) insns.emplace_back(n);
  o["insns"] = std::move(insns);
  return o;
}

}  // namespace

json::object to_json(const ProgramStats& s, const compiler::Weights& w) {
  json::object o;
  o["length"] = s.length;
  if (!s.filter_lengths.empty()) {
    json::array lengths;  // a filter stack: each filter's length by kernel index, 0 = the oldest
    for (size_t n : s.filter_lengths) lengths.emplace_back(n);
    o["filter_lengths"] = std::move(lengths);
  }
  o["weights"] = w.description();
  json::array abis;
  for (const AbiStats& a : s.abis) abis.push_back(abi_json(a));
  o["abis"] = std::move(abis);
  return o;
}

json::object compiler_model_json(const compiler::Compiled& c, const compiler::CompileOptions& opts) {
  json::object o;
  o["strategy"] = compiler::to_string(opts.strategy);
  o["weights"] = opts.weights.description();
  json::array arches;
  for (const compiler::ArchReport& r : c.arches) {
    json::object a;
    a["abis"] = compiler::abi_names(r.abis);
    a["audit_arch"] = r.audit_arch;
    a["intervals"] = r.intervals;
    a["tree_tests"] = r.tree_tests;
    a["dispatch_insns"] = r.dispatch_insns;
    a["tree_cost"] = r.tree_cost;
    a["expected_insns"] = r.bound();
    arches.push_back(std::move(a));
  }
  o["arches"] = std::move(arches);
  o["trampolines"] = c.layout.trampolines;
  return o;
}

json::object to_json(const Comparison& c) {
  json::object o;
  o["weights"] = c.weights.description();
  o["compiled_weights"] = c.compiled_weights;
  json::array runs;
  for (const StrategyRun& r : c.runs) {
    json::object run;
    // A filter built elsewhere has no strategy of sysfence's: naming one
    // would pass runc's filter off as sysfence's optimal tree.
    run["strategy"] = r.external ? std::string_view("external") : compiler::to_string(r.strategy);
    run["name"] = r.label;
    for (auto& [key, value] : to_json(r.stats, c.weights)) run[key] = value;
    json::array& abis = run["abis"].as_array();
    for (size_t i = 0; i < abis.size(); ++i) {
      abis[i].as_object()["answers_unlike_optimal"] = answers_unlike_optimal(c, r, i);
    }
    runs.push_back(std::move(run));
  }
  o["strategies"] = std::move(runs);
  return o;
}

}  // namespace sysfence::measure
