#include "base/seccomp.h"

#include <fmt/format.h>

#include <charconv>

namespace sysfence {

namespace {

uint32_t action_bits(ActionKind k) {
  switch (k) {
    case ActionKind::kKillProcess: return kRetKillProcess;
    case ActionKind::kKillThread: return kRetKillThread;
    case ActionKind::kTrap: return kRetTrap;
    case ActionKind::kErrno: return kRetErrno;
    case ActionKind::kUserNotif: return kRetUserNotif;
    case ActionKind::kTrace: return kRetTrace;
    case ActionKind::kLog: return kRetLog;
    case ActionKind::kAllow: return kRetAllow;
  }
  return kRetKillProcess;
}

std::string_view kind_name(ActionKind k) {
  switch (k) {
    case ActionKind::kKillProcess: return "KILL_PROCESS";
    case ActionKind::kKillThread: return "KILL_THREAD";
    case ActionKind::kTrap: return "TRAP";
    case ActionKind::kErrno: return "ERRNO";
    case ActionKind::kUserNotif: return "USER_NOTIF";
    case ActionKind::kTrace: return "TRACE";
    case ActionKind::kLog: return "LOG";
    case ActionKind::kAllow: return "ALLOW";
  }
  return "KILL_PROCESS";
}

}  // namespace

uint32_t encode(Action a) {
  const uint32_t bits = a.known() ? action_bits(a.kind) : uint32_t{a.unknown_bits} << 16;
  return bits | a.data;
}

Action decode(uint32_t ret) {
  const auto data = static_cast<uint16_t>(ret & kRetData);
  switch (ret & kRetActionFull) {
    case kRetKillProcess: return {ActionKind::kKillProcess, data};
    case kRetKillThread: return {ActionKind::kKillThread, data};
    case kRetTrap: return {ActionKind::kTrap, data};
    case kRetErrno: return {ActionKind::kErrno, data};
    case kRetUserNotif: return {ActionKind::kUserNotif, data};
    case kRetTrace: return {ActionKind::kTrace, data};
    case kRetLog: return {ActionKind::kLog, data};
    case kRetAllow: return {ActionKind::kAllow, data};
    default: return {ActionKind::kKillProcess, data, static_cast<uint16_t>(ret >> 16)};
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
  // The kernel's own order: the action bits as a signed number.
  const auto ra = static_cast<int32_t>(encode(a) & kRetActionFull);
  const auto rb = static_cast<int32_t>(encode(b) & kRetActionFull);
  if (ra != rb) return ra < rb;
  return a.data < b.data;
}

std::string to_string(Action a) {
  if (!a.known()) return fmt::format("KILL_PROCESS (unknown action {:#010x})", encode(a));
  const bool always_data = a.kind == ActionKind::kErrno || a.kind == ActionKind::kTrace;
  if (a.data == 0 && !always_data) return std::string(kind_name(a.kind));
  return fmt::format("{}({})", kind_name(a.kind), a.data);
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
  if (text == "KILL") return Action::KillThread();
  if (auto d = call_arg(text, "KILL")) return Action{ActionKind::kKillThread, *d};
  for (ActionKind k : {ActionKind::kKillProcess, ActionKind::kKillThread, ActionKind::kTrap, ActionKind::kErrno,
                       ActionKind::kUserNotif, ActionKind::kTrace, ActionKind::kLog, ActionKind::kAllow}) {
    const std::string_view name = kind_name(k);
    const bool data_required = k == ActionKind::kErrno || k == ActionKind::kTrace;
    if (text == name && !data_required) return Action{k, 0};
    if (auto d = call_arg(text, name)) return Action{k, *d};
  }
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
