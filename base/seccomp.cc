#include "base/seccomp.h"

#include <fmt/format.h>

#include <charconv>

namespace sysfence {

uint32_t encode(Action a) {
  switch (a.kind) {
    case ActionKind::kKillProcess: return kRetKillProcess;
    case ActionKind::kKillThread: return kRetKillThread;
    case ActionKind::kTrap: return kRetTrap;
    case ActionKind::kErrno: return kRetErrno | a.data;
    case ActionKind::kUserNotif: return kRetUserNotif;
    case ActionKind::kTrace: return kRetTrace | a.data;
    case ActionKind::kLog: return kRetLog;
    case ActionKind::kAllow: return kRetAllow;
  }
  return kRetKillProcess;
}

Action decode(uint32_t ret) {
  const auto data = static_cast<uint16_t>(ret & kRetData);
  switch (ret & kRetActionFull) {
    case kRetKillProcess: return Action::KillProcess();
    case kRetKillThread: return Action::KillThread();
    case kRetTrap: return Action::Trap();
    case kRetErrno: return Action::Errno(data);
    case kRetUserNotif: return Action::UserNotif();
    case kRetTrace: return Action::Trace(data);
    case kRetLog: return Action::Log();
    case kRetAllow: return Action::Allow();
    default: return Action::KillProcess();
  }
}

int restrictiveness_rank(ActionKind k) {
  switch (k) {
    case ActionKind::kKillProcess: return 0;
    case ActionKind::kKillThread: return 1;
    case ActionKind::kTrap: return 2;
    case ActionKind::kErrno: return 3;
    case ActionKind::kUserNotif: return 4;
    case ActionKind::kTrace: return 5;
    case ActionKind::kLog: return 6;
    case ActionKind::kAllow: return 7;
  }
  return 0;
}

bool more_restrictive(Action a, Action b) {
  const int ra = restrictiveness_rank(a.kind);
  const int rb = restrictiveness_rank(b.kind);
  if (ra != rb) return ra < rb;
  return a.data < b.data;
}

std::string to_string(Action a) {
  switch (a.kind) {
    case ActionKind::kKillProcess: return "KILL_PROCESS";
    case ActionKind::kKillThread: return "KILL_THREAD";
    case ActionKind::kTrap: return "TRAP";
    case ActionKind::kErrno: return fmt::format("ERRNO({})", a.data);
    case ActionKind::kUserNotif: return "USER_NOTIF";
    case ActionKind::kTrace: return fmt::format("TRACE({})", a.data);
    case ActionKind::kLog: return "LOG";
    case ActionKind::kAllow: return "ALLOW";
  }
  return "KILL_PROCESS";
}

namespace {

std::optional<uint16_t> parse_u16(std::string_view s) {
  unsigned value = 0;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || ptr != s.data() + s.size() || value > 0xffff) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// "NAME(data)" -> data, when text has that shape.
std::optional<uint16_t> call_arg(std::string_view text, std::string_view name) {
  if (text.size() < name.size() + 2 || text.substr(0, name.size()) != name) return std::nullopt;
  if (text[name.size()] != '(' || text.back() != ')') return std::nullopt;
  return parse_u16(text.substr(name.size() + 1, text.size() - name.size() - 2));
}

}  // namespace

std::optional<Action> parse_action(std::string_view text) {
  if (text.starts_with("SECCOMP_RET_")) text.remove_prefix(12);
  if (text == "KILL_PROCESS") return Action::KillProcess();
  if (text == "KILL_THREAD" || text == "KILL") return Action::KillThread();
  if (text == "TRAP") return Action::Trap();
  if (text == "USER_NOTIF") return Action::UserNotif();
  if (text == "LOG") return Action::Log();
  if (text == "ALLOW") return Action::Allow();
  if (auto e = call_arg(text, "ERRNO")) return Action::Errno(*e);
  if (auto t = call_arg(text, "TRACE")) return Action::Trace(*t);
  return std::nullopt;
}

SeccompWords to_words(const SeccompData& d, Endian e) {
  SeccompWords w{};
  w[kOffsetNr / 4] = d.nr;
  w[kOffsetArch / 4] = d.arch;
  w[ip_lo_offset(e) / 4] = static_cast<uint32_t>(d.instruction_pointer);
  w[ip_hi_offset(e) / 4] = static_cast<uint32_t>(d.instruction_pointer >> 32);
  for (unsigned i = 0; i < 6; ++i) {
    w[arg_lo_offset(i, e) / 4] = static_cast<uint32_t>(d.args[i]);
    w[arg_hi_offset(i, e) / 4] = static_cast<uint32_t>(d.args[i] >> 32);
  }
  return w;
}

SeccompData from_words(const SeccompWords& w, Endian e) {
  SeccompData d;
  d.nr = w[kOffsetNr / 4];
  d.arch = w[kOffsetArch / 4];
  d.instruction_pointer = (uint64_t{w[ip_hi_offset(e) / 4]} << 32) | w[ip_lo_offset(e) / 4];
  for (unsigned i = 0; i < 6; ++i) {
    d.args[i] = (uint64_t{w[arg_hi_offset(i, e) / 4]} << 32) | w[arg_lo_offset(i, e) / 4];
  }
  return d;
}

}  // namespace sysfence
