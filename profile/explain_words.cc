// `explain`'s words for argument values, actions, rules' sources and
// verdicts, shared by its sections (profile/explain_parts.h).
#include <fmt/format.h>

#include <array>
#include <optional>

#include "policy/operators.h"
#include "profile/errno_names.h"
#include "profile/explain.h"
#include "profile/explain_parts.h"

namespace sysfence::profile {

using syscalls::ArchId;

namespace {

// ---------------------------------------------------------------------------
// Symbolic names for the argument values Docker's profiles test (kernel UAPI
// facts: include/linux/socket.h, include/uapi/linux/sched.h,
// include/uapi/linux/personality.h).
// ---------------------------------------------------------------------------

struct Named {
  uint64_t value;
  std::string_view name;
};

constexpr std::array<Named, 46> kAddressFamilies{{
    {0, "AF_UNSPEC"},    {1, "AF_UNIX"},        {2, "AF_INET"},     {3, "AF_AX25"},     {4, "AF_IPX"},
    {5, "AF_APPLETALK"}, {6, "AF_NETROM"},      {7, "AF_BRIDGE"},   {8, "AF_ATMPVC"},   {9, "AF_X25"},
    {10, "AF_INET6"},    {11, "AF_ROSE"},       {12, "AF_DECnet"},  {13, "AF_NETBEUI"}, {14, "AF_SECURITY"},
    {15, "AF_KEY"},      {16, "AF_NETLINK"},    {17, "AF_PACKET"},  {18, "AF_ASH"},     {19, "AF_ECONET"},
    {20, "AF_ATMSVC"},   {21, "AF_RDS"},        {22, "AF_SNA"},     {23, "AF_IRDA"},    {24, "AF_PPPOX"},
    {25, "AF_WANPIPE"},  {26, "AF_LLC"},        {27, "AF_IB"},      {28, "AF_MPLS"},    {29, "AF_CAN"},
    {30, "AF_TIPC"},     {31, "AF_BLUETOOTH"},  {32, "AF_IUCV"},    {33, "AF_RXRPC"},   {34, "AF_ISDN"},
    {35, "AF_PHONET"},   {36, "AF_IEEE802154"}, {37, "AF_CAIF"},    {38, "AF_ALG"},     {39, "AF_NFC"},
    {40, "AF_VSOCK"},    {41, "AF_KCM"},        {42, "AF_QIPCRTR"}, {43, "AF_SMC"},     {44, "AF_XDP"},
    {45, "AF_MCTP"},
}};

constexpr std::array<Named, 7> kPersonalities{{
    {0x0000, "PER_LINUX"},
    {0x0008, "PER_LINUX32"},
    {0x0020000, "UNAME26"},
    {0x0020008, "PER_LINUX32|UNAME26"},
    {0x0800000, "PER_LINUX_32BIT"},
    {0x8000008, "PER_LINUX32_3GB"},
    {0xffffffff, "query: returns the current persona, changes nothing"},
}};

constexpr std::array<Named, 26> kCloneFlags{{
    {0x00000080, "CLONE_NEWTIME"},
    {0x00000100, "CLONE_VM"},
    {0x00000200, "CLONE_FS"},
    {0x00000400, "CLONE_FILES"},
    {0x00000800, "CLONE_SIGHAND"},
    {0x00001000, "CLONE_PIDFD"},
    {0x00002000, "CLONE_PTRACE"},
    {0x00004000, "CLONE_VFORK"},
    {0x00008000, "CLONE_PARENT"},
    {0x00010000, "CLONE_THREAD"},
    {0x00020000, "CLONE_NEWNS"},
    {0x00040000, "CLONE_SYSVSEM"},
    {0x00080000, "CLONE_SETTLS"},
    {0x00100000, "CLONE_PARENT_SETTID"},
    {0x00200000, "CLONE_CHILD_CLEARTID"},
    {0x00400000, "CLONE_DETACHED"},
    {0x00800000, "CLONE_UNTRACED"},
    {0x01000000, "CLONE_CHILD_SETTID"},
    {0x02000000, "CLONE_NEWCGROUP"},
    {0x04000000, "CLONE_NEWUTS"},
    {0x08000000, "CLONE_NEWIPC"},
    {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},
    {0x40000000, "CLONE_NEWNET"},
    {0x80000000, "CLONE_IO"},
    {0x100000000ULL, "CLONE_CLEAR_SIGHAND"},
}};

template <size_t N>
std::optional<std::string_view> lookup(const std::array<Named, N>& table, uint64_t v) {
  for (const auto& n : table)
    if (n.value == v) return n.name;
  return std::nullopt;
}

// "CLONE_NEWNS|CLONE_NEWUTS" for a mask made only of known flags.
std::optional<std::string> flag_names(uint64_t mask) {
  std::string out;
  uint64_t rest = mask;
  for (const auto& f : kCloneFlags) {
    if ((mask & f.value) == f.value) {
      out += (out.empty() ? "" : "|") + std::string(f.name);
      rest &= ~f.value;
    }
  }
  if (rest != 0 || out.empty()) return std::nullopt;
  return out;
}

bool is_clone_like(std::string_view s) { return s == "clone" || s == "unshare"; }

}  // namespace

namespace explain_parts {

// "8", "131072 (0x20000)"; with a note: "8 (PER_LINUX32)", "131072 (0x20000, UNAME26)".
std::string number(uint64_t v, std::string_view note) {
  if (v < 10) return note.empty() ? fmt::format("{}", v) : fmt::format("{} ({})", v, note);
  return note.empty() ? fmt::format("{} (0x{:x})", v, v) : fmt::format("{} (0x{:x}, {})", v, v, note);
}

std::string where(const Profile& p, const ProfileSyscall& e, size_t index) {
  return fmt::format("{}:{} (syscalls[{}])", p.source, e.pos.line, index);
}

std::string rule_source(const policy::SourceRef& s) {
  if (s.line == 0) return s.file;
  if (!s.multiplexed_for.empty())
    return fmt::format("{}:{} (syscalls[{}], its {} rule applied to the multiplexer)", s.file, s.line, s.entry,
                       s.multiplexed_for);
  return fmt::format("{}:{} (syscalls[{}])", s.file, s.line, s.entry);
}

std::string one_line(const SyscallVerdict& v, ArchId arch) {
  if (!v.constant) return fmt::format("depends on the arguments (otherwise {})", describe_action(v.action, arch));
  switch (v.why) {
    case SyscallVerdict::Why::kRule: return fmt::format("{} (a profile rule)", describe_action(v.action, arch));
    case SyscallVerdict::Why::kDefault: return fmt::format("{} (the default action)", describe_action(v.action, arch));
    case SyscallVerdict::Why::kEnosys: return fmt::format("{} (runc's ENOSYS stub)", describe_action(v.action, arch));
    case SyscallVerdict::Why::kBadArch:
      return fmt::format("{} (the filter's answer for an ABI it lacks)", describe_action(v.action, arch));
  }
  return "";
}

}  // namespace explain_parts

using explain_parts::number;

std::string describe_condition(std::string_view syscall, const policy::ArgCondition& c) {
  std::string text;
  std::string note;
  if (c.op == policy::CmpOp::kMaskedEq) {
    // What is compared: the datum's bits outside the mask never are.
    const uint64_t datum = policy::masked_datum(c.value, c.value_two);
    text = fmt::format("(arg{} & 0x{:x}) == {}", c.index, c.value, number(datum));
    if (is_clone_like(syscall)) {
      if (auto names = flag_names(c.value)) {
        if (datum == 0) note = fmt::format("none of {} set", *names);
        else if (datum == c.value) note = fmt::format("all of {} set", *names);
        else note = fmt::format("of {}", *names);
      }
    }
    if (!note.empty()) text += fmt::format(" ({})", note);
    if (datum != c.value_two) text += fmt::format(" [datum written as 0x{:x}]", c.value_two);
  } else {
    std::optional<std::string_view> name;
    if (syscall == "personality") name = lookup(kPersonalities, c.value);
    if (syscall == "socket" && c.index == 0) name = lookup(kAddressFamilies, c.value);
    std::optional<std::string> flags;
    if (is_clone_like(syscall)) flags = flag_names(c.value);
    const std::string_view value_note = name ? *name : flags ? std::string_view(*flags) : std::string_view();
    text = fmt::format("arg{} {} {}", c.index, policy::symbol(c.op), number(c.value, value_note));
  }
  if (c.width == policy::ArgWidth::k32) text += " [low 32 bits]";
  return text;
}

std::string describe_action(Action a, ArchId arch) {
  if (a.kind == ActionKind::kErrno) {
    if (auto n = errno_name(a.data, arch)) return fmt::format("ERRNO({}) {}", a.data, *n);
  }
  return to_string(a);
}

}  // namespace sysfence::profile
