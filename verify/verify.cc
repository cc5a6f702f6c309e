#include "verify/verify.h"

#include <fmt/format.h>

#include "verify/describe.h"
#include "verify/policy_dag.h"
#include "verify/symbolic.h"

namespace sysfence::verify {

Expected<Verification> prove_equivalent(const bpf::Program& program, const policy::Policy& policy,
                                        const EquivOptions& options) {
  auto filter = BpfProcedure::create(program);
  if (!filter) return Unexpected<Error>{filter.error()};
  const PolicyProcedure spec(policy);
  Verification v;
  v.equiv = check_equivalent(*filter, spec, options);
  // The checker confirmed every mismatch with the interpreter and the
  // diagram; the reference evaluator has the last word on the policy side.
  for (const Mismatch& m : v.equiv.mismatches) {
    Counterexample c;
    c.words = m.input;
    c.data = to_data(m.input);
    c.input = describe_input(m.input);
    c.filter_action = m.a_action;
    c.policy_action = policy::evaluate(policy, c.data).action;
    c.filter_where = m.a_where;
    c.policy_where = m.b_where;
    if (c.policy_action != m.b_action || c.policy_action == c.filter_action) {
      v.equiv.internal_errors.push_back(
          fmt::format("the policy diagram answers {} but policy::evaluate answers {} for {}", to_string(m.b_action),
                      to_string(c.policy_action), c.input));
      continue;
    }
    if (m.region_known) c.region = describe_region(m.region, abi_of(m.input));
    v.counterexamples.push_back(std::move(c));
  }
  if (v.counterexamples.empty() && v.equiv.verdict == EquivResult::Verdict::kDifferent) {
    // Every reported difference failed confirmation: not a result to trust.
    v.equiv.verdict = EquivResult::Verdict::kUndecided;
    v.equiv.proved = false;
    v.equiv.not_proved_reason = "internal inconsistency between the policy diagram and policy::evaluate";
  }
  if (v.equiv.verdict == EquivResult::Verdict::kEquivalent && !v.equiv.internal_errors.empty()) {
    v.equiv.verdict = EquivResult::Verdict::kUndecided;
    v.equiv.proved = false;
  }
  return v;
}

std::string format_verification(const Verification& v) {
  const EquivResult& e = v.equiv;
  std::string out;
  if (e.verdict == EquivResult::Verdict::kEquivalent) {
    return fmt::format("equivalent (proved: {} paths, {} word constraints)\n", e.paths, e.word_constraints);
  }
  if (e.verdict == EquivResult::Verdict::kDifferent) {
    out += fmt::format("NOT equivalent: {} counterexample{}{}\n", v.counterexamples.size(),
                       v.counterexamples.size() == 1 ? "" : "s",
                       e.tested ? fmt::format(" (found by testing {} inputs)", e.tests_run) : "");
    size_t i = 0;
    for (const Counterexample& c : v.counterexamples) {
      out += fmt::format("counterexample {}: {}\n", ++i, c.input);
      out += fmt::format("  filter:  {:<14} {}\n", to_string(c.filter_action), c.filter_where);
      out += fmt::format("  profile: {:<14} {}\n", to_string(c.policy_action), c.policy_where);
      if (auto why = explain_action_difference(c.filter_action, c.policy_action); !why.empty())
        out += fmt::format("  ({})\n", why);
      if (!c.region.empty()) {
        out += "  region:  every input with";
        for (size_t k = 0; k < c.region.size(); ++k) out += (k ? ", " : " ") + c.region[k];
        out += "\n";
      }
    }
  } else {
    out += fmt::format("not proved: {}\n", e.not_proved_reason);
    if (e.tested)
      out += fmt::format("testing {} boundary and random inputs found no difference (testing, not a proof)\n",
                         e.tests_run);
  }
  for (const UnsupportedPath& u : e.unsupported)
    out += fmt::format("  outside the symbolic fragment ({}): {}\n", u.side == 0 ? "filter" : "profile", u.what);
  for (const std::string& s : e.internal_errors) out += fmt::format("  internal error: {}\n", s);
  return out;
}

}  // namespace sysfence::verify
