#include "profile/profile.h"

#include <algorithm>
#include <array>

#include "policy/operators.h"

namespace sysfence::profile {

namespace {

struct ActionSpelling {
  ProfileAction action;
  std::string_view name;
};
constexpr std::array<ActionSpelling, 9> kActions{{
    {ProfileAction::kKill, "SCMP_ACT_KILL"},
    {ProfileAction::kKillThread, "SCMP_ACT_KILL_THREAD"},
    {ProfileAction::kKillProcess, "SCMP_ACT_KILL_PROCESS"},
    {ProfileAction::kTrap, "SCMP_ACT_TRAP"},
    {ProfileAction::kErrno, "SCMP_ACT_ERRNO"},
    {ProfileAction::kTrace, "SCMP_ACT_TRACE"},
    {ProfileAction::kAllow, "SCMP_ACT_ALLOW"},
    {ProfileAction::kLog, "SCMP_ACT_LOG"},
    {ProfileAction::kNotify, "SCMP_ACT_NOTIFY"},
}};

constexpr std::array<std::string_view, 4> kFlags{
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

}  // namespace

std::string_view to_string(ProfileAction a) {
  for (const auto& s : kActions)
    if (s.action == a) return s.name;
  return "SCMP_ACT_KILL";
}

std::optional<ProfileAction> parse_profile_action(std::string_view s) {
  for (const auto& a : kActions)
    if (a.name == s) return a.action;
  return std::nullopt;
}

std::span<const std::string_view> profile_action_names() {
  static const auto names = [] {
    std::array<std::string_view, kActions.size()> n{};
    for (size_t i = 0; i < kActions.size(); ++i) n[i] = kActions[i].name;
    return n;
  }();
  return names;
}

Action to_action(ProfileAction a, uint16_t data) {
  switch (a) {
    // libseccomp's SCMP_ACT_KILL is SECCOMP_RET_KILL (== KILL_THREAD), and
    // runc maps both spellings to ActKillThread.
    case ProfileAction::kKill:
    case ProfileAction::kKillThread: return Action::KillThread();
    case ProfileAction::kKillProcess: return Action::KillProcess();
    case ProfileAction::kTrap: return Action::Trap();
    case ProfileAction::kErrno: return Action::Errno(data);
    case ProfileAction::kTrace: return Action::Trace(data);
    case ProfileAction::kAllow: return Action::Allow();
    case ProfileAction::kLog: return Action::Log();
    case ProfileAction::kNotify: return Action::UserNotif();
  }
  return Action::KillProcess();
}

std::string_view to_string(policy::CmpOp op) { return policy::scmp_name(op); }

std::optional<policy::CmpOp> parse_cmp_op(std::string_view s) { return policy::parse_scmp_name(s); }

std::span<const std::string_view> cmp_op_names() {
  static const auto names = [] {
    const auto ops = policy::operators();
    std::array<std::string_view, 7> n{};
    for (size_t i = 0; i < ops.size() && i < n.size(); ++i) n[i] = ops[i].scmp_name;
    return n;
  }();
  return names;
}

bool is_known_filter_flag(std::string_view flag) {
  return std::ranges::any_of(kFlags, [&](std::string_view f) { return f == flag; });
}

std::span<const std::string_view> filter_flag_names() { return kFlags; }

}  // namespace sysfence::profile
