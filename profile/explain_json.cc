// `sysfence explain --format json`: the decision explain_syscall describes,
// as data, with the text itself alongside.
#include <fmt/format.h>

#include "base/json.h"
#include "policy/operators.h"
#include "profile/explain.h"
#include "profile/explain_parts.h"
#include "syscalls/table.h"

namespace sysfence::profile {

namespace {

namespace json = boost::json;

std::string_view why_name(SyscallVerdict::Why w) {
  switch (w) {
    case SyscallVerdict::Why::kRule: return "rule";
    case SyscallVerdict::Why::kDefault: return "default";
    case SyscallVerdict::Why::kEnosys: return "enosys";
    case SyscallVerdict::Why::kBadArch: return "bad_arch";
  }
  return "default";
}

json::object rule_json(const policy::Rule& r, std::string_view syscall) {
  json::object o;
  o["action"] = action_json(r.action);
  json::array conditions;
  for (const policy::ArgCondition& c : r.conditions) {
    json::object j;
    j["index"] = c.index;
    j["op"] = policy::scmp_name(c.op);
    j["value"] = c.value;
    j["value_two"] = c.value_two;
    j["width"] = c.width == policy::ArgWidth::k32 ? 32 : 64;
    j["text"] = describe_condition(syscall, c);
    conditions.push_back(std::move(j));
  }
  o["conditions"] = std::move(conditions);
  o["location"] = r.source.line != 0 ? json::value(location_json(r.source.file, r.source.line, r.source.col))
                                     : json::value(nullptr);
  return o;
}

json::object decision_json(const SyscallVerdict& v, syscalls::ArchId abi, std::string_view syscall) {
  json::object o;
  o["constant"] = v.constant;
  o["action"] = action_json(v.action);
  o["description"] = describe_action(v.action, abi);
  o["why"] = why_name(v.why);
  json::array rules;
  if (v.floor != nullptr) rules.push_back(rule_json(*v.floor, syscall));
  for (const policy::Rule* r : v.deciding) rules.push_back(rule_json(*r, syscall));
  o["rules"] = std::move(rules);
  return o;
}

}  // namespace

Expected<json::object> explain_json(const Profile& profile, const Resolution& res, const ResolveOptions& opts,
                                    std::string_view syscall) {
  auto text = explain_syscall(profile, res, opts, syscall);
  if (!text) return Unexpected<Error>{text.error()};
  const policy::Policy& policy = res.policy;
  // The same subject explain_syscall chose; none for a name no ABI of the
  // filter has (explain_syscall succeeded, so that is the only failure).
  auto subject = explain_parts::find_subject(policy, opts, syscall);
  if (explain_parts::absent_from_filter(policy, syscall)) subject = fail("absent");
  const std::string name = subject ? subject->name : std::string();
  const policy::ArchPolicy* primary = subject ? subject->primary : nullptr;
  json::object o;
  o["query"] = syscall;
  o["profile"] = profile.source;
  o["in_filter"] = primary != nullptr;
  o["syscall"] = name.empty() ? json::value(nullptr) : json::value(name);
  o["abi"] = subject ? json::value(syscalls::arch(subject->abi).name) : json::value(nullptr);
  o["nr"] = subject ? json::value(subject->nr) : json::value(nullptr);
  o["decision"] = subject ? json::value(decision_json(subject->verdict, subject->abi, name)) : json::value(nullptr);
  json::array others;
  for (const auto& ap : policy.arches) {
    if (primary == nullptr || &ap == primary || name.empty()) continue;
    json::object a;
    a["abi"] = syscalls::arch(ap.arch).name;
    auto other = syscalls::table(ap.arch).number(name);
    a["nr"] = other ? json::value(*other) : json::value(nullptr);
    a["decision"] =
        other ? json::value(decision_json(syscall_verdict(ap, *other), ap.arch, name)) : json::value(nullptr);
    others.push_back(std::move(a));
  }
  o["other_abis"] = std::move(others);
  o["text"] = *text;
  return o;
}

}  // namespace sysfence::profile
