#include "verify/json.h"

#include "base/json.h"
#include "syscalls/table.h"
#include "verify/describe.h"

namespace sysfence::verify {

namespace {

namespace json = boost::json;

std::string_view verdict_name(EquivResult::Verdict v) {
  switch (v) {
    case EquivResult::Verdict::kEquivalent: return "equivalent";
    case EquivResult::Verdict::kDifferent: return "different";
    case EquivResult::Verdict::kUndecided: return "not-proved";
  }
  return "not-proved";
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

// The verdict and how it was reached, shared by both documents.
json::object verdict_json(const EquivResult& e, std::string_view side_a, std::string_view side_b) {
  json::object o;
  o["verdict"] = verdict_name(e.verdict);
  o["proved"] = e.proved;
  o["paths"] = e.paths;
  o["word_constraints"] = e.word_constraints;
  o["sat_conflicts"] = e.sat_conflicts;
  o["tested"] = e.tested;
  o["tests_run"] = e.tests_run;
  o["found_by_search"] = e.found_by_search;
  o["not_proved_reason"] = e.not_proved_reason;
  json::array unsupported;
  for (const UnsupportedPath& u : e.unsupported) {
    json::object p;
    p["side"] = u.side == 0 ? side_a : side_b;
    p["where"] = u.where;
    p["what"] = u.what;
    unsupported.push_back(std::move(p));
  }
  o["unsupported"] = std::move(unsupported);
  o["internal_errors"] = strings(e.internal_errors);
  return o;
}

// {"abi": "x86_64", "syscall": "execve", "data": {seccomp_data}, "text": "..."}.
json::object input_json(const SeccompWords& words) {
  json::object o;
  const syscalls::Arch* abi = abi_of(words);
  const SeccompData d = to_data(words);
  o["abi"] = abi ? json::value(abi->name) : json::value(nullptr);
  std::optional<std::string_view> name;
  if (abi) name = syscalls::table(*abi).name(d.nr);
  o["syscall"] = name ? json::value(*name) : json::value(nullptr);
  o["data"] = seccomp_data_json(d);
  o["text"] = describe_input(words);
  return o;
}

json::object counterexample_json(const Counterexample& c) {
  json::object o;
  o["input"] = input_json(c.words);
  o["cause"] = cause_id(c.cause);
  o["filter_action"] = action_json(c.filter_action);
  o["filter_where"] = c.filter_where;
  o["profile_action"] = action_json(c.policy_action);
  o["profile_where"] = c.policy_where;
  o["region"] = strings(c.region);
  if (c.stacked) {
    if (c.deciding_filter) {
      json::object f;
      f["index"] = *c.deciding_filter;
      f["name"] = c.deciding_filter_name;
      o["deciding_filter"] = std::move(f);
    } else {
      o["deciding_filter"] = nullptr;  // every filter allows
    }
  }
  return o;
}

}  // namespace

json::object to_json(const Verification& v, size_t max_shown) {
  json::object o = verdict_json(v.equiv, "filter", "profile");
  o["counterexample_count"] = v.counterexamples.size();
  // False when the walk stopped at its limit or only tested: there may be more.
  o["complete"] = v.equiv.proved && !v.equiv.mismatch_limit_reached;
  json::array causes;
  for (const CauseGroup& g : group_by_cause(v)) {
    json::object c;
    c["cause"] = cause_id(g.cause);
    c["count"] = g.count;
    c["description"] = group_text(g);
    c["syscalls"] = strings(g.syscalls);
    causes.push_back(std::move(c));
  }
  o["causes"] = std::move(causes);
  json::array shown;
  for (size_t i = 0; i < v.counterexamples.size() && i < max_shown; ++i)
    shown.push_back(counterexample_json(v.counterexamples[i]));
  o["counterexamples"] = std::move(shown);
  return o;
}

json::object diff_to_json(const EquivResult& r, std::string_view name_a, std::string_view name_b, size_t max_regions,
                          bool identical) {
  json::object o;
  o["a"] = name_a;
  o["b"] = name_b;
  o["identical"] = identical;
  for (auto& [key, value] : verdict_json(r, "a", "b")) o[key] = value;
  o["region_count"] = r.mismatches.size();
  o["complete"] = r.proved && !r.mismatch_limit_reached;
  json::array regions;
  for (size_t i = 0; i < r.mismatches.size() && i < max_regions; ++i) {
    const Mismatch& m = r.mismatches[i];
    json::object g;
    g["a_action"] = action_json(m.a_action);
    g["a_where"] = m.a_where;
    g["b_action"] = action_json(m.b_action);
    g["b_where"] = m.b_where;
    g["region_known"] = m.region_known;
    g["conditions"] = m.region_known ? strings(describe_region(m.region, abi_of(m.input))) : json::array{};
    g["example"] = input_json(m.input);
    regions.push_back(std::move(g));
  }
  o["regions"] = std::move(regions);
  return o;
}

}  // namespace sysfence::verify
