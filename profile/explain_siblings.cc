// `explain`'s section on a syscall's siblings (syscalls/siblings.h): the
// other syscalls that reach the same kernel operation, and what the filter
// answers each on the same ABI, so that a rule on one name can be checked
// against the routes around it.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "profile/explain.h"
#include "profile/explain_parts.h"
#include "syscalls/siblings.h"
#include "syscalls/table.h"

namespace sysfence::profile {

namespace {

bool permissive(Action a) { return a.kind == ActionKind::kAllow || a.kind == ActionKind::kLog; }

// "allowed", "denied" or "allowed for some arguments".
std::string_view stance(const SyscallVerdict& v) {
  if (!v.constant) return "allowed for some arguments";
  return permissive(v.action) ? "allowed" : "denied";
}

std::string family_text(const policy::ArchPolicy& ap, const syscalls::SiblingFamily& fam, std::string_view name) {
  const auto& table = syscalls::table(ap.arch);
  std::string out = fmt::format("\nsiblings of {} on {} (the kernel operation \"{}\"; {}):\n", name,
                                syscalls::arch(ap.arch).name, fam.operation, fam.source);
  const SyscallVerdict own = syscall_verdict(ap, *table.number(name));
  std::vector<std::string> open;
  size_t listed = 0;
  auto show = [&](std::string_view other, std::string_view kind) {
    if (other == name) return;
    const auto nr = table.number(other);
    if (!nr) return;
    ++listed;
    const SyscallVerdict v = syscall_verdict(ap, *nr);
    out += fmt::format("  {:<18} number {}{}: {}\n", other, *nr, kind, explain_parts::one_line(v, ap.arch));
    if (!v.constant || permissive(v.action)) open.emplace_back(other);
  };
  for (std::string_view m : fam.members) show(m, syscalls::is_legacy(fam, m) ? ", a legacy spelling" : "");
  for (std::string_view r : fam.routes) show(r, ", also performs it");
  if (listed == 0) out += fmt::format("  (none on {})\n", syscalls::arch(ap.arch).name);
  if (!fam.note.empty()) out += fmt::format("  Note: {}.\n", fam.note);
  if (stance(own) != "allowed" && !open.empty()) {
    std::string names;
    for (size_t i = 0; i < open.size(); ++i) names += (i == 0 ? "" : ", ") + open[i];
    out += fmt::format(
        "  {} is {} here, but {} still reach the operation: deny them as well, or allow {} "
        "deliberately.\n",
        name, stance(own), names, name);
  }
  return out;
}

}  // namespace

std::string siblings_text(const policy::ArchPolicy& ap, std::string_view name) {
  if (!syscalls::table(ap.arch).number(name)) return "";
  std::string out;
  for (const syscalls::SiblingFamily* fam : syscalls::families_of(name))
    if (syscalls::is_member(*fam, name)) out += family_text(ap, *fam, name);
  return out;
}

}  // namespace sysfence::profile
