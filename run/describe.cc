#include "run/describe.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "profile/errno_names.h"
#include "syscalls/arg_widths.h"
#include "syscalls/table.h"

namespace sysfence::run {

namespace {

// As policy::evaluate: under AUDIT_ARCH_X86_64, x32 from __X32_SYSCALL_BIT
// up (unsigned), but -1 — a tracer's "skip this call" — is x86_64's.
constexpr uint32_t kX32SyscallBit = 0x40000000U;
constexpr uint32_t kSkippedCall = 0xffffffffU;

// Parameter names the kernel gives NUL-terminated strings (paths, file
// system types, xattr / key / module names) in its SYSCALL_DEFINEs. Found by
// listing every `char *` parameter of the generated argument tables.
constexpr std::array<std::string_view, 25> kStringParamNames = {
    "_callout_info", "_description",  "_fs_name", "_key",    "_type",     "dev_name",    "dir_name",
    "filename",      "from_pathname", "library",  "name",    "name_user", "new_root",    "newname",
    "oldname",       "path",          "pathname", "put_old", "special",   "specialfile", "to_pathname",
    "type",          "u_name",        "uargs",    "uname",
};
// Syscalls whose `name` is a counted buffer, not a string.
constexpr std::array<std::string_view, 2> kCountedNameSyscalls = {"sethostname", "setdomainname"};

constexpr std::array<std::string_view, 16> kSignedTypes = {
    "int",   "long",  "pid_t", "off_t", "loff_t",        "key_serial_t", "clockid_t",    "timer_t",
    "mqd_t", "key_t", "__s32", "s32",   "compat_long_t", "compat_pid_t", "compat_off_t", "compat_ssize_t",
};
constexpr std::array<std::string_view, 3> kOctalTypes = {"umode_t", "mode_t", "compat_mode_t"};
// Integer types that carry user addresses.
constexpr std::array<std::string_view, 4> kAddressTypes = {"compat_uptr_t", "cap_user_header_t", "cap_user_data_t",
                                                           "__sighandler_t"};

template <size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

std::string_view strip_const(std::string_view type) {
  if (type.starts_with("const ")) type.remove_prefix(6);
  return type;
}

ArgShape shape_of(syscalls::ArchId abi, std::string_view syscall, const syscalls::ArgWidth& a) {
  const std::string_view type = strip_const(a.type);
  ArgShape s;
  s.bits = a.bits;
  s.abi = abi;
  s.flags = arg_flags(abi, syscall, a.name);
  // The memory calls declare their addresses unsigned long: NULL and hex,
  // as strace shows them.
  const bool mm_address = (a.name == "addr" || a.name == "start") &&
                          (syscall == "mmap" || syscall == "mmap2" || syscall == "mprotect" || syscall == "munmap");
  if (s.flags != ArgFlags::kNone) {
    s.style = ArgStyle::kFlags;
  } else if ((syscall == "mmap" || syscall == "mmap2") && a.name == "fd") {
    // Declared unsigned long, used as an int: -1 for anonymous maps, as strace shows it.
    s.style = ArgStyle::kSigned;
    s.bits = 32;
  } else if (type.ends_with("*")) {
    const bool char_ptr = type == "char *";
    const bool counted = a.name == "name" && contains(kCountedNameSyscalls, syscall);
    s.style = char_ptr && contains(kStringParamNames, a.name) && !counted ? ArgStyle::kString : ArgStyle::kPointer;
  } else if (contains(kAddressTypes, type) || mm_address) {
    s.style = ArgStyle::kPointer;
  } else if (contains(kOctalTypes, type)) {
    s.style = ArgStyle::kOctal;
  } else if (contains(kSignedTypes, type)) {
    s.style = ArgStyle::kSigned;
  } else {
    s.style = ArgStyle::kUnsigned;
  }
  return s;
}

uint64_t truncate(uint64_t v, unsigned bits) { return bits >= 64 ? v : v & ((uint64_t{1} << bits) - 1); }

std::string escape(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string format_arg(const ArgShape& shape, uint64_t raw, const StringReader& read) {
  const uint64_t v = truncate(raw, shape.bits);
  switch (shape.style) {
    case ArgStyle::kString: {
      if (v == 0) return "NULL";
      if (read) {
        if (auto s = read(v)) return fmt::format("\"{}\"{}", escape(s->bytes), s->complete ? "" : "...");
      }
      return fmt::format("0x{:x}", v);
    }
    case ArgStyle::kPointer: return v == 0 ? "NULL" : fmt::format("0x{:x}", v);
    case ArgStyle::kOctal: return v == 0 ? "0" : fmt::format("0{:o}", v);
    case ArgStyle::kSigned: {
      // Sign-extend from the width the kernel reads.
      const unsigned bits = shape.bits == 0 ? 64 : shape.bits;
      auto s = static_cast<int64_t>(v);
      if (bits < 64 && (v >> (bits - 1)) & 1) s = static_cast<int64_t>(v | ~((uint64_t{1} << bits) - 1));
      return fmt::format("{}", s);
    }
    case ArgStyle::kUnsigned: return v < 0x10000 ? fmt::format("{}", v) : fmt::format("0x{:x}", v);
    case ArgStyle::kFlags: return format_flags(shape.flags, shape.abi, v, shape.bits);
  }
  return fmt::format("0x{:x}", v);
}

std::string_view abi_tag(syscalls::ArchId abi) { return syscalls::arch(abi).name; }

}  // namespace

std::optional<syscalls::ArchId> abi_of(const SeccompData& d) {
  const auto& x86_64 = syscalls::arch(syscalls::ArchId::kX86_64);
  if (d.arch == x86_64.audit_arch) {
    const bool x32 = d.nr >= kX32SyscallBit && d.nr != kSkippedCall;
    return x32 ? syscalls::ArchId::kX32 : syscalls::ArchId::kX86_64;
  }
  for (const syscalls::Arch& a : syscalls::all_arches()) {
    if (a.id != syscalls::ArchId::kX32 && a.audit_arch == d.arch) return a.id;
  }
  return std::nullopt;
}

std::vector<ArgShape> arg_shapes(syscalls::ArchId abi, uint32_t nr) {
  std::vector<ArgShape> out;
  const auto info = syscalls::arg_info(abi, nr);
  if (!info || !info->known) {
    const unsigned bits = syscalls::register_bits(abi);
    out.assign(6, ArgShape{ArgStyle::kPointer, bits});
    // Unknown numbers: six register-wide words, shown in hex (0 as 0).
    for (auto& s : out) s.style = ArgStyle::kUnsigned;
    return out;
  }
  for (unsigned i = 0; i < info->count; ++i) out.push_back(shape_of(abi, info->name, info->args[i]));
  return out;
}

std::string format_call(const SeccompData& d, const StringReader& read) {
  const auto abi = abi_of(d);
  std::string name;
  std::vector<ArgShape> shapes;
  if (abi) {
    const auto known = syscalls::table(*abi).name(d.nr);
    name = known ? std::string(*known) : fmt::format("syscall_0x{:x}", d.nr);
    shapes = arg_shapes(*abi, d.nr);
  } else {
    name = fmt::format("syscall_0x{:x}", d.nr);
    shapes.assign(6, ArgShape{ArgStyle::kUnsigned, 64});
  }
  std::string out = name + "(";
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i != 0) out += ", ";
    out += format_arg(shapes[i], d.args[i], read);
  }
  return out + ")";
}

std::string format_outcome(Action a, syscalls::ArchId abi) {
  switch (a.kind) {
    case ActionKind::kErrno: {
      const uint16_t e = static_cast<uint16_t>(std::min<uint32_t>(a.data, kMaxErrno));
      if (e == 0) return "0";
      const auto name = profile::errno_name(e, abi);
      return name ? fmt::format("-{}", *name) : fmt::format("-{}", e);
    }
    case ActionKind::kTrace: {
      const auto name = profile::errno_name(profile::enosys(abi), abi);
      return fmt::format("-{} (TRACE without a tracer)", name ? *name : "ENOSYS");
    }
    case ActionKind::kKillProcess:
    case ActionKind::kKillThread:
    case ActionKind::kTrap: return fmt::format("SIGSYS ({})", to_string(a));  // with TRAP's si_errno
    case ActionKind::kUserNotif:
    case ActionKind::kLog:
    case ActionKind::kAllow: break;
  }
  return to_string(a);
}

std::string format_reason(const policy::Decision& decision) {
  if (decision.rule != nullptr) {
    const policy::SourceRef& src = decision.rule->source;
    if (src.line != 0) return fmt::format("[rule: {}:{}]", src.file, src.line);
    return fmt::format("[rule: {} syscalls[{}]]", src.file, src.entry);
  }
  if (decision.arch == nullptr) return "[architecture not in profile]";
  if (decision.enosys) return "[newer than profile: ENOSYS]";
  return "[default action]";
}

std::string denial_line(const SeccompData& d, const policy::Decision& decision, const StringReader& read,
                        syscalls::ArchId native, int pid) {
  std::string out = "denied: ";
  if (pid != 0) out += fmt::format("[pid {}] ", pid);
  const auto abi = abi_of(d);
  if (!abi) {
    out += fmt::format("[arch 0x{:x}] ", d.arch);
  } else if (*abi != native) {
    out += fmt::format("[{}] ", abi_tag(*abi));
  }
  out += format_call(d, read);
  out += " = ";
  out += format_outcome(decision.action, abi.value_or(native));
  out += "  ";
  out += format_reason(decision);
  return out;
}

}  // namespace sysfence::run
