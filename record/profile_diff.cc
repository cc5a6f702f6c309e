// record --diff: what one profile allows that another does not, compared on
// their resolved policies (profile_set.h).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include "pipeline/pipeline.h"
#include "policy/operators.h"
#include "profile/caps.h"
#include "profile/explain.h"
#include "record/profile_set.h"
#include "syscalls/table.h"
#include "verify/equiv.h"
#include "verify/policy_dag.h"

namespace sysfence::record {

namespace {

using policy::ArchPolicy;
using policy::ArgCondition;
using policy::Rule;
using syscalls::ArchId;

// ALLOW and LOG let the call through; every other action stops it (TRACE
// and USER_NOTIF leave it to another program).
bool allows(Action a) { return a.kind == ActionKind::kAllow || a.kind == ActionKind::kLog; }

const Action kAllowed = Action::Allow();
const Action kDenied = Action::Errno(1);

auto condition_key(const ArgCondition& c) { return std::tie(c.index, c.op, c.value, c.value_two, c.width); }
bool condition_less(const ArgCondition& a, const ArgCondition& b) { return condition_key(a) < condition_key(b); }
bool conditions_less(const std::vector<ArgCondition>& a, const std::vector<ArgCondition>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), condition_less);
}
bool rule_less(const Rule& a, const Rule& b) {
  if (a.action.kind != b.action.kind) return a.action.kind < b.action.kind;
  return conditions_less(a.conditions, b.conditions);
}

// What syscall `nr` of one side answers, reduced to allowed / denied and
// put in one canonical form: its rules with allowing and denying actions,
// conditions sorted (a conjunction), duplicates dropped, and the answer for
// calls no rule matches as an unconditional ALLOW rule when it allows (ALLOW
// is the least restrictive action, so that rule wins only where no other
// matches). Two sides with equal forms decide every call alike; the forms
// need not be equal for that (the checker decides then).
std::vector<Rule> allow_form(const ArchPolicy* ap, uint32_t nr) {
  std::vector<Rule> out;
  if (ap == nullptr) return out;  // the ABI is not in the filter: the bad-arch action denies
  auto it = ap->rules.find(nr);
  const bool has_rules = it != ap->rules.end() && !it->second.empty();
  Action fallback = ap->default_action;
  if (!has_rules && ap->enosys_above && nr > *ap->enosys_above) fallback = Action::Errno(ap->enosys_errno);
  if (has_rules)
    for (const Rule& r : it->second) {
      Rule mapped{allows(r.action) ? kAllowed : kDenied, r.conditions, {}};
      std::sort(mapped.conditions.begin(), mapped.conditions.end(), condition_less);
      mapped.conditions.erase(std::unique(mapped.conditions.begin(), mapped.conditions.end()), mapped.conditions.end());
      out.push_back(std::move(mapped));
    }
  if (allows(fallback)) out.push_back(Rule{kAllowed, {}, {}});
  std::sort(out.begin(), out.end(), rule_less);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// One ABI, one syscall decided by `rules`; every other call denied.
policy::Policy one_syscall(ArchId abi, uint32_t nr, const std::vector<Rule>& rules) {
  policy::Policy p;
  ArchPolicy ap{abi, kDenied, {}, std::nullopt, 38};
  if (!rules.empty()) ap.rules[nr] = rules;
  p.arches.push_back(std::move(ap));
  p.bad_arch_action = Action::KillProcess();
  return p;
}

bool same_meaning(ArchId abi, uint32_t nr, const std::vector<Rule>& a, const std::vector<Rule>& b) {
  if (a == b) return true;
  const verify::PolicyProcedure pa(one_syscall(abi, nr, a));
  const verify::PolicyProcedure pb(one_syscall(abi, nr, b));
  return verify::check_equivalent(pa, pb).verdict != verify::EquivResult::Verdict::kDifferent;
}

enum class Allowed : uint8_t { kNone, kSome, kAll };

Allowed classify(ArchId abi, uint32_t nr, const std::vector<Rule>& form) {
  const auto allow = [](const Rule& r) { return r.action == kAllowed; };
  const auto always = [](const Rule& r) { return r.conditions.empty(); };
  if (std::none_of(form.begin(), form.end(), allow)) return Allowed::kNone;
  if (std::any_of(form.begin(), form.end(), [&](const Rule& r) { return !allow(r) && always(r); }))
    return Allowed::kNone;
  if (std::all_of(form.begin(), form.end(), allow) && std::any_of(form.begin(), form.end(), always))
    return Allowed::kAll;
  if (same_meaning(abi, nr, form, {Rule{kAllowed, {}, {}}})) return Allowed::kAll;
  if (same_meaning(abi, nr, form, {})) return Allowed::kNone;
  return Allowed::kSome;
}

// The argument rules of a form that allow.
std::vector<std::vector<ArgCondition>> allow_rules(const std::vector<Rule>& form) {
  std::vector<std::vector<ArgCondition>> out;
  for (const Rule& r : form)
    if (r.action == kAllowed && !r.conditions.empty()) out.push_back(r.conditions);
  return out;
}
// Whether `form` already allows every call `rule` (an ALLOW rule) allows:
// adding the rule changes nothing.
bool covers(ArchId abi, uint32_t nr, const std::vector<Rule>& form, const std::vector<ArgCondition>& rule) {
  std::vector<Rule> widened = form;
  widened.push_back(Rule{kAllowed, rule, {}});
  std::sort(widened.begin(), widened.end(), rule_less);
  widened.erase(std::unique(widened.begin(), widened.end()), widened.end());
  return same_meaning(abi, nr, form, widened);
}

// The argument rules of `from` that allow calls `form` does not.
std::vector<std::vector<ArgCondition>> not_covered(ArchId abi, uint32_t nr, const std::vector<Rule>& from,
                                                   const std::vector<Rule>& form) {
  std::vector<std::vector<ArgCondition>> out;
  for (auto& r : allow_rules(from))
    if (!covers(abi, nr, form, r)) out.push_back(std::move(r));
  return out;
}

// Changes keyed by all but their ABIs, so that one line covers every ABI
// where the same change holds.
struct ChangeKey {
  std::string name;
  SyscallChange::Kind kind;
  std::vector<ArgCondition> conditions;
  bool other_allows_some;
  friend bool operator<(const ChangeKey& a, const ChangeKey& b) {
    if (a.name != b.name) return a.name < b.name;
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.conditions != b.conditions) return conditions_less(a.conditions, b.conditions);
    return a.other_allows_some < b.other_allows_some;
  }
};
using ChangeMap = std::map<ChangeKey, std::vector<ArchId>>;

struct Changes {
  ChangeMap added, removed, changed;
};

void add_rules(ChangeMap& m, std::string_view name, ArchId abi, const std::vector<std::vector<ArgCondition>>& rules) {
  for (const auto& r : rules) m[{std::string(name), SyscallChange::Kind::kRule, r, false}].push_back(abi);
}

void compare_syscall(ArchId abi, const syscalls::Syscall& sc, const ArchPolicy* old_ap, const ArchPolicy* new_ap,
                     Changes& out) {
  const auto old_form = allow_form(old_ap, sc.nr);
  const auto new_form = allow_form(new_ap, sc.nr);
  if (old_form == new_form) return;
  const Allowed was = classify(abi, sc.nr, old_form);
  const Allowed now = classify(abi, sc.nr, new_form);
  const std::string name(sc.name);
  if (was == now && was != Allowed::kSome) return;
  if (now == Allowed::kAll) {
    out.added[{name, SyscallChange::Kind::kSyscall, {}, was == Allowed::kSome}].push_back(abi);
  } else if (was == Allowed::kAll) {
    out.removed[{name, SyscallChange::Kind::kSyscall, {}, now == Allowed::kSome}].push_back(abi);
  } else if (was == Allowed::kNone) {
    add_rules(out.added, name, abi, allow_rules(new_form));
  } else if (now == Allowed::kNone) {
    add_rules(out.removed, name, abi, allow_rules(old_form));
  } else if (!same_meaning(abi, sc.nr, old_form, new_form)) {
    const auto added = not_covered(abi, sc.nr, new_form, old_form);
    const auto removed = not_covered(abi, sc.nr, old_form, new_form);
    add_rules(out.added, name, abi, added);
    add_rules(out.removed, name, abi, removed);
    if (added.empty() && removed.empty())
      out.changed[{name, SyscallChange::Kind::kArguments, {}, false}].push_back(abi);
  }
}

std::vector<SyscallChange> listed(const ChangeMap& m) {
  std::vector<SyscallChange> out;
  for (const auto& [key, abis] : m) {
    std::vector<ArchId> sorted = abis;
    std::sort(sorted.begin(), sorted.end());
    out.push_back(SyscallChange{key.kind, key.name, std::move(sorted), key.conditions, key.other_allows_some});
  }
  return out;
}

struct Resolved {
  policy::Policy policy;
  std::vector<std::string> diagnostics;
};

Expected<Resolved> resolve_text(const NamedText& in, const profile::ResolveOptions& options) {
  pipeline::Request request;
  request.profile = in.name;
  request.text = in.text;
  request.resolve = options;
  request.last = pipeline::Stage::kRestrictAbis;
  auto built = pipeline::run(request);
  if (!built) return fail(built.error().message);
  return Resolved{std::move(built->resolution.policy), pipeline::diagnostic_lines(built->diagnostics)};
}

std::string abi_list(const std::vector<ArchId>& abis) {
  std::string out;
  for (ArchId a : abis) out += fmt::format("{}{}", out.empty() ? "" : ", ", syscalls::arch(a).name);
  return out;
}

std::string change_text(char sign, const SyscallChange& c, std::string_view other) {
  std::string line = fmt::format("{} {} ({})", sign, c.name, abi_list(c.abis));
  switch (c.kind) {
    case SyscallChange::Kind::kSyscall:
      if (c.other_allows_some) line += fmt::format(" with any arguments ({} allows it only with some)", other);
      break;
    case SyscallChange::Kind::kRule: {
      std::string conds;
      for (const auto& cond : c.conditions)
        conds += (conds.empty() ? "" : " && ") + profile::describe_condition(c.name, cond);
      line += " if " + conds;
      break;
    }
    case SyscallChange::Kind::kArguments: line += ": the arguments it is allowed with differ"; break;
  }
  return line;
}

std::string_view kind_name(SyscallChange::Kind k) {
  switch (k) {
    case SyscallChange::Kind::kSyscall: return "syscall";
    case SyscallChange::Kind::kRule: return "rule";
    case SyscallChange::Kind::kArguments: return "arguments";
  }
  return "";
}

boost::json::array abis_json(const std::vector<ArchId>& abis) {
  boost::json::array a;
  for (ArchId id : abis) a.emplace_back(boost::json::string_view(syscalls::arch(id).name));
  return a;
}

boost::json::array changes_json(const std::vector<SyscallChange>& changes) {
  boost::json::array out;
  for (const SyscallChange& c : changes) {
    boost::json::array conditions;
    for (const ArgCondition& cond : c.conditions)
      conditions.push_back(boost::json::object{{"index", cond.index},
                                               {"op", policy::scmp_name(cond.op)},
                                               {"value", cond.value},
                                               {"value_two", cond.value_two},
                                               {"width", cond.width == policy::ArgWidth::k32 ? 32 : 64},
                                               {"text", profile::describe_condition(c.name, cond)}});
    out.push_back(boost::json::object{{"syscall", c.name},
                                      {"abis", abis_json(c.abis)},
                                      {"kind", kind_name(c.kind)},
                                      {"conditions", std::move(conditions)},
                                      {"other_allows_some", c.other_allows_some}});
  }
  return out;
}

}  // namespace

profile::ResolveOptions DiffOptions::default_resolve() {
  profile::ResolveOptions o;
  o.native = syscalls::native_arch().id;
  o.caps = profile::docker_default_caps();
  return o;
}

Expected<ProfileDelta> diff_profiles(const NamedText& old_profile, const NamedText& new_profile,
                                     const DiffOptions& options) {
  auto old_side = resolve_text(old_profile, options.resolve);
  if (!old_side) return fail(old_side.error().message);
  auto new_side = resolve_text(new_profile, options.resolve);
  if (!new_side) return fail(new_side.error().message);
  ProfileDelta delta;
  delta.old_name = old_profile.name;
  delta.new_name = new_profile.name;
  delta.native = options.resolve.native;
  delta.diagnostics = old_side->diagnostics;
  delta.diagnostics.insert(delta.diagnostics.end(), new_side->diagnostics.begin(), new_side->diagnostics.end());
  for (const auto* p : {&old_side->policy, &new_side->policy})
    for (const ArchPolicy& ap : p->arches) delta.abis.push_back(ap.arch);
  std::sort(delta.abis.begin(), delta.abis.end());
  delta.abis.erase(std::unique(delta.abis.begin(), delta.abis.end()), delta.abis.end());
  Changes changes;
  for (ArchId abi : delta.abis)
    for (const syscalls::Syscall& sc : syscalls::table(abi).entries())
      compare_syscall(abi, sc, old_side->policy.find(abi), new_side->policy.find(abi), changes);
  delta.added = listed(changes.added);
  delta.removed = listed(changes.removed);
  delta.changed = listed(changes.changed);
  return delta;
}

std::vector<std::string> delta_text(const ProfileDelta& delta) {
  std::vector<std::string> lines;
  if (delta.empty()) {
    lines.push_back(fmt::format("no difference: {} and {} allow the same calls on {}", delta.old_name, delta.new_name,
                                abi_list(delta.abis)));
    return lines;
  }
  for (const SyscallChange& c : delta.added) lines.push_back(change_text('+', c, delta.old_name));
  for (const SyscallChange& c : delta.removed) lines.push_back(change_text('-', c, delta.new_name));
  for (const SyscallChange& c : delta.changed) lines.push_back(change_text('~', c, ""));
  return lines;
}

boost::json::object delta_json(const ProfileDelta& delta) {
  return boost::json::object{{"old", delta.old_name},
                             {"new", delta.new_name},
                             {"native", syscalls::arch(delta.native).name},
                             {"abis", abis_json(delta.abis)},
                             {"equal", delta.empty()},
                             {"added", changes_json(delta.added)},
                             {"removed", changes_json(delta.removed)},
                             {"changed", changes_json(delta.changed)}};
}

}  // namespace sysfence::record
