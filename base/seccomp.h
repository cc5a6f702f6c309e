// Kernel ABI facts shared by every layer: seccomp return actions and the
// `struct seccomp_data` a filter reads (include/uapi/linux/seccomp.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sysfence {

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

// SECCOMP_RET_* values. The upper 16 bits select the action, the lower 16
// carry data: the errno for ERRNO, the ptrace event message for TRACE, and
// si_errno of the SIGSYS for TRAP (and for the core-dump signal of the KILL
// actions); ALLOW, LOG and USER_NOTIF ignore it.
inline constexpr uint32_t kRetKillProcess = 0x80000000U;
inline constexpr uint32_t kRetKillThread = 0x00000000U;
inline constexpr uint32_t kRetTrap = 0x00030000U;
inline constexpr uint32_t kRetErrno = 0x00050000U;
inline constexpr uint32_t kRetUserNotif = 0x7fc00000U;
inline constexpr uint32_t kRetTrace = 0x7ff00000U;
inline constexpr uint32_t kRetLog = 0x7ffc0000U;
inline constexpr uint32_t kRetAllow = 0x7fff0000U;
inline constexpr uint32_t kRetActionFull = 0xffff0000U;
inline constexpr uint32_t kRetData = 0x0000ffffU;
// The kernel clamps ERRNO data to MAX_ERRNO before returning -data.
inline constexpr uint32_t kMaxErrno = 4095;

enum class ActionKind : uint8_t {
  kKillProcess,
  kKillThread,
  kTrap,
  kErrno,
  kUserNotif,
  kTrace,
  kLog,
  kAllow,
};

// One seccomp return value, as the kernel acts on it: the kind plus the 16
// data bits. Its identity is the whole 32-bit value (encode and decode are
// inverse bijections): TRAP(5) is not TRAP, since a SIGSYS handler reads the 5
// in si_errno, and every value whose action bits the kernel does not know
// stays distinct although the kernel acts on all of them as KILL_PROCESS.
struct Action {
  ActionKind kind = ActionKind::kKillProcess;
  uint16_t data = 0;
  // Nonzero only for a value the kernel knows no action for: its action bits
  // (ret >> 16; never 0, which is KILL_THREAD). `kind` is then kKillProcess,
  // what the kernel does with it.
  uint16_t unknown_bits = 0;

  static constexpr Action KillProcess() { return {ActionKind::kKillProcess, 0}; }
  static constexpr Action KillThread() { return {ActionKind::kKillThread, 0}; }
  static constexpr Action Trap(uint16_t si_errno = 0) { return {ActionKind::kTrap, si_errno}; }
  static constexpr Action Errno(uint16_t e) { return {ActionKind::kErrno, e}; }
  static constexpr Action UserNotif() { return {ActionKind::kUserNotif, 0}; }
  static constexpr Action Trace(uint16_t msg) { return {ActionKind::kTrace, msg}; }
  static constexpr Action Log() { return {ActionKind::kLog, 0}; }
  static constexpr Action Allow() { return {ActionKind::kAllow, 0}; }

  // False for a value outside the kernel's SECCOMP_RET_* list.
  constexpr bool known() const { return unknown_bits == 0; }

  friend constexpr bool operator==(const Action&, const Action&) = default;
};

// The filter return value for an action.
uint32_t encode(Action a);

// A filter's return value as an Action, losslessly (encode(decode(r)) == r):
// the action bits select the kind, an unknown action value acts as
// KILL_PROCESS (kernel/seccomp.c, the default branch of __seccomp_filter) and
// keeps its bits in unknown_bits. Data is kept as returned (ERRNO data above
// MAX_ERRNO is clamped by the kernel only when it sets errno).
Action decode(uint32_t ret);

// The kernel's precedence between filters and sysfence's rule for several
// matching rules: the smaller value wins. The kernel compares
// (s32)(ret & SECCOMP_RET_ACTION_FULL), so KILL_PROCESS (negative) is the most
// restrictive and ALLOW the least:
//   KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW
// (unknown action values fall in between by their value). Equal action bits
// with different data: the first one wins in the kernel; callers that need a
// total order use data as the tie-breaker (lower wins).
int restrictiveness_rank(ActionKind k);  // 0 = most restrictive
bool more_restrictive(Action a, Action b);

// "ALLOW", "ERRNO(1)", "KILL_PROCESS", "KILL_THREAD", "TRAP", "TRAP(5)",
// "TRACE(7)", "LOG", "USER_NOTIF" — the spelling the CLI prints. ERRNO and
// TRACE always show their data, the other kinds only when it is nonzero (so
// no return value is spelled like another); an unknown action value is
// "KILL_PROCESS (unknown action 0x12340000)".
std::string to_string(Action a);
// Parses the spelling above for known actions (ERRNO and TRACE require their
// data in parentheses, the others take it optionally; decimal or 0x-hex),
// also with a SECCOMP_RET_ prefix; "KILL" is KILL_THREAD as in the uapi
// header. nullopt when unknown.
std::optional<Action> parse_action(std::string_view text);

// ---------------------------------------------------------------------------
// struct seccomp_data (64 bytes)
// ---------------------------------------------------------------------------
//   int   nr;                    offset 0
//   __u32 arch;                  offset 4
//   __u64 instruction_pointer;   offset 8
//   __u64 args[6];               offset 16 + 8*i
// The 64-bit fields are stored in the task's byte order, so on a big-endian
// ABI the high word of args[i] is at offset 16 + 8*i and the low word at +4.

inline constexpr uint32_t kSeccompDataSize = 64;
inline constexpr uint32_t kOffsetNr = 0;
inline constexpr uint32_t kOffsetArch = 4;
inline constexpr uint32_t kOffsetIp = 8;
inline constexpr uint32_t kOffsetArgs = 16;

enum class Endian : uint8_t { kLittle, kBig };

// Byte offset of the low / high 32-bit word of args[i] (i < 6).
constexpr uint32_t arg_lo_offset(unsigned i, Endian e) { return kOffsetArgs + 8 * i + (e == Endian::kLittle ? 0 : 4); }
constexpr uint32_t arg_hi_offset(unsigned i, Endian e) { return kOffsetArgs + 8 * i + (e == Endian::kLittle ? 4 : 0); }
constexpr uint32_t ip_lo_offset(Endian e) { return kOffsetIp + (e == Endian::kLittle ? 0 : 4); }
constexpr uint32_t ip_hi_offset(Endian e) { return kOffsetIp + (e == Endian::kLittle ? 4 : 0); }

struct SeccompData {
  uint32_t nr = 0;  // the kernel's `int nr`, as the filter reads it
  uint32_t arch = 0;
  uint64_t instruction_pointer = 0;
  std::array<uint64_t, 6> args{};

  friend bool operator==(const SeccompData&, const SeccompData&) = default;
};

// The 16 32-bit words a filter can load (word i = offset 4*i), laid out in the
// given byte order. This is the only place that knows the layout.
using SeccompWords = std::array<uint32_t, kSeccompDataSize / 4>;
SeccompWords to_words(const SeccompData& d, Endian e);
SeccompData from_words(const SeccompWords& w, Endian e);

}  // namespace sysfence
