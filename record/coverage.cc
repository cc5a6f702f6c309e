#include "record/coverage.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "profile/builtin.h"
#include "syscalls/table.h"

namespace sysfence::record {

namespace {

using syscalls::ArchId;

std::string plural(uint64_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

std::string syscall_name(const SyscallKey& key) {
  if (auto name = syscalls::table(key.arch).name(key.nr)) return std::string(*name);
  return fmt::format("syscall {}", key.nr);
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += fmt::format("{}{}", out.empty() ? "" : ", ", n);
  return out;
}

void per_abi_lines(const Observations& obs, std::vector<std::string>& out) {
  std::map<ArchId, std::pair<uint64_t, uint64_t>> per_abi;  // syscalls, calls
  for (const auto& [key, rec] : obs.calls) {
    auto& [syscalls, calls] = per_abi[key.arch];
    ++syscalls;
    calls += rec.count;
  }
  for (const auto& [abi, n] : per_abi)
    out.push_back(
        fmt::format("{}: {}, {}", syscalls::arch(abi).name, plural(n.first, "syscall"), plural(n.second, "call")));
}

void top_callers_line(const Observations& obs, size_t top, std::vector<std::string>& out) {
  if (obs.callers.empty() || top == 0) return;
  std::vector<std::pair<std::string, uint64_t>> callers(obs.callers.begin(), obs.callers.end());
  // Most calls first; equal counts by name (the map's order, kept by a stable sort).
  std::stable_sort(callers.begin(), callers.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string line = "top callers: ";
  for (size_t i = 0; i < callers.size() && i < top; ++i)
    line += fmt::format("{}{} ({})", i ? ", " : "", callers[i].first, plural(callers[i].second, "call"));
  if (callers.size() > top) line += fmt::format(", and {} more", callers.size() - top);
  out.push_back(std::move(line));
}

bool allows(Action a) { return a.kind == ActionKind::kAllow || a.kind == ActionKind::kLog; }

// How the base answers a recorded syscall: for the argument tuples seen
// when the recorder kept them, else for every call when no rule of the base
// looks at the arguments.
enum class BaseAnswer : uint8_t { kAllows, kDenies, kDependsOnArgs };
BaseAnswer base_answer(const policy::Policy& base, const SyscallKey& key, const SyscallRecord& rec) {
  SeccompData d;
  d.nr = key.nr;
  d.arch = syscalls::arch(key.arch).audit_arch;
  if (!rec.args.empty()) {
    for (const auto& args : rec.args) {
      d.args = args;
      if (!allows(policy::evaluate(base, d).action)) return BaseAnswer::kDenies;
    }
    return BaseAnswer::kAllows;
  }
  if (const policy::ArchPolicy* ap = base.find(key.arch)) {
    auto it = ap->rules.find(key.nr);
    if (it != ap->rules.end() &&
        std::any_of(it->second.begin(), it->second.end(), [](const policy::Rule& r) { return !r.conditions.empty(); }))
      return BaseAnswer::kDependsOnArgs;
  }
  return allows(policy::evaluate(base, d).action) ? BaseAnswer::kAllows : BaseAnswer::kDenies;
}

void base_lines(const Observations& obs, const CoverageOptions& options, std::vector<std::string>& out) {
  if (options.base == nullptr) return;
  std::map<ArchId, std::set<std::string>> denied, depends;
  for (const auto& [key, rec] : obs.calls) {
    switch (base_answer(*options.base, key, rec)) {
      case BaseAnswer::kAllows: break;
      case BaseAnswer::kDenies: denied[key.arch].insert(syscall_name(key)); break;
      case BaseAnswer::kDependsOnArgs: depends[key.arch].insert(syscall_name(key)); break;
    }
  }
  for (const auto& [abi, names] : denied)
    out.push_back(
        fmt::format("denied by the base ({}) on {}: {}", options.base_name, syscalls::arch(abi).name, joined(names)));
  for (const auto& [abi, names] : depends)
    out.push_back(fmt::format("allowed by the base ({}) on {} only for some arguments: {}", options.base_name,
                              syscalls::arch(abi).name, joined(names)));
}

// Why Docker would refuse `name` to a container, or documents it as
// dangerous; empty when neither.
std::string danger(std::string_view name) {
  const auto documented = profile::seed_reason(name);
  switch (profile::builtin_default_stance(name)) {
    case profile::DefaultProfileStance::kBlocks:
      return documented
                 ? fmt::format("Docker's default profile blocks it (Docker's documentation: \"{}\")", *documented)
                 : "Docker's default profile blocks it";
    case profile::DefaultProfileStance::kAllowsSome:
      return documented ? fmt::format(
                              "Docker's default profile allows it only for some arguments (Docker's documentation "
                              "lists it as blocked: \"{}\")",
                              *documented)
                        : "Docker's default profile allows it only for some arguments";
    case profile::DefaultProfileStance::kAllows:
      if (documented)
        return fmt::format(
            "Docker's documentation lists it as blocked by the default profile (\"{}\"), but the current default "
            "profile allows it",
            *documented);
      return "";
  }
  return "";
}

// Whether `docker_default` allows every call recorded for a syscall: only
// known when the recorder kept the argument tuples of each of its ABIs.
bool default_allows_all_seen(const policy::Policy* docker_default, const Observations& obs,
                             const std::vector<SyscallKey>& keys) {
  if (docker_default == nullptr) return false;
  for (const SyscallKey& key : keys) {
    const SyscallRecord& rec = obs.calls.at(key);
    if (rec.args.empty() || rec.args_truncated) return false;
    if (base_answer(*docker_default, key, rec) != BaseAnswer::kAllows) return false;
  }
  return true;
}

void danger_lines(const Observations& obs, const CoverageOptions& options, std::vector<std::string>& out) {
  std::map<std::string, std::vector<SyscallKey>> keys_of;
  for (const auto& [key, rec] : obs.calls)
    if (syscalls::table(key.arch).name(key.nr)) keys_of[syscall_name(key)].push_back(key);
  for (const auto& [name, keys] : keys_of) {
    const bool conditional = profile::builtin_default_stance(name) == profile::DefaultProfileStance::kAllowsSome;
    if (conditional && !profile::seed_reason(name) && default_allows_all_seen(options.docker_default, obs, keys))
      continue;
    const std::string why = danger(name);
    if (why.empty()) continue;
    std::string abi_names;
    for (const SyscallKey& k : keys)
      abi_names += fmt::format("{}{}", abi_names.empty() ? "" : ", ", syscalls::arch(k.arch).name);
    out.push_back(fmt::format("dangerous: {} ({}): {}", name, abi_names, why));
  }
}

}  // namespace

std::vector<std::string> coverage_summary(const Observations& observations, const CoverageOptions& options) {
  std::vector<std::string> out;
  if (observations.calls.empty()) {
    out.emplace_back("no syscalls recorded");
    return out;
  }
  per_abi_lines(observations, out);
  top_callers_line(observations, options.top_callers, out);
  base_lines(observations, options, out);
  danger_lines(observations, options, out);
  return out;
}

}  // namespace sysfence::record
