// `sysfence explain --format json`: the decision explain_syscall describes,
// as data, with the text itself alongside.
#include <fmt/format.h>

#include <charconv>

#include "base/json.h"
#include "policy/operators.h"
#include "profile/explain.h"
#include "syscalls/table.h"

namespace sysfence::profile {

namespace {

namespace json = boost::json;

std::optional<uint32_t> as_number(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string_view why_name(SyscallVerdict::Why w) {
  switch (w) {
    case SyscallVerdict::Why::kRule: return "rule";
    case SyscallVerdict::Why::kDefault: return "default";
    case SyscallVerdict::Why::kEnosys: return "enosys";
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

json::object decision_json(const policy::ArchPolicy& ap, uint32_t nr, std::string_view syscall) {
  const SyscallVerdict v = syscall_verdict(ap, nr);
  json::object o;
  o["constant"] = v.constant;
  o["action"] = action_json(v.action);
  o["description"] = describe_action(v.action, ap.arch);
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
  // The same subject explain_syscall chose: a number on the native ABI, a
  // name on the first ABI of the filter that has it.
  const policy::ArchPolicy* primary = nullptr;
  uint32_t nr = 0;
  std::string name;
  if (auto n = as_number(syscall)) {
    primary = policy.find(opts.native);
    nr = *n;
    if (auto known = syscalls::table(opts.native).name(nr)) name = std::string(*known);
  } else {
    for (const auto& ap : policy.arches) {
      if (auto known = syscalls::table(ap.arch).number(syscall)) {
        primary = &ap;
        nr = *known;
        name = std::string(syscalls::table(ap.arch).name(nr).value_or(syscall));
        break;
      }
    }
  }
  json::object o;
  o["query"] = syscall;
  o["profile"] = profile.source;
  o["in_filter"] = primary != nullptr;
  o["syscall"] = name.empty() ? json::value(nullptr) : json::value(name);
  o["abi"] = primary ? json::value(syscalls::arch(primary->arch).name) : json::value(nullptr);
  o["nr"] = primary ? json::value(nr) : json::value(nullptr);
  o["decision"] = primary ? json::value(decision_json(*primary, nr, name)) : json::value(nullptr);
  json::array others;
  for (const auto& ap : policy.arches) {
    if (&ap == primary || name.empty()) continue;
    json::object a;
    a["abi"] = syscalls::arch(ap.arch).name;
    auto other = syscalls::table(ap.arch).number(name);
    a["nr"] = other ? json::value(*other) : json::value(nullptr);
    a["decision"] = other ? json::value(decision_json(ap, *other, name)) : json::value(nullptr);
    others.push_back(std::move(a));
  }
  o["other_abis"] = std::move(others);
  o["text"] = *text;
  return o;
}

}  // namespace sysfence::profile
