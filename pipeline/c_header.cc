#include "pipeline/c_header.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace sysfence::pipeline {

using syscalls::ArchId;
using syscalls::KernelVersion;

const std::vector<InstallFlag>& install_flags() {
  // include/uapi/linux/seccomp.h; each flag's version is the release that
  // added it to seccomp_set_mode_filter's accepted mask.
  static const std::vector<InstallFlag> flags = {
      {"tsync", "SECCOMP_FILTER_FLAG_TSYNC", 1U << 0, {3, 17, 0}},
      {"log", "SECCOMP_FILTER_FLAG_LOG", 1U << 1, {4, 14, 0}},
      {"spec-allow", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1U << 2, {4, 17, 0}},
      {"new-listener", "SECCOMP_FILTER_FLAG_NEW_LISTENER", 1U << 3, {5, 0, 0}},
      {"tsync-esrch", "SECCOMP_FILTER_FLAG_TSYNC_ESRCH", 1U << 4, {5, 7, 0}},
      {"wait-killable-recv", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1U << 5, {5, 19, 0}},
  };
  return flags;
}

namespace {

uint32_t bit_of(std::string_view spelling) {
  for (const InstallFlag& f : install_flags())
    if (f.spelling == spelling) return f.bit;
  return 0;
}

}  // namespace

Expected<uint32_t> parse_install_flags(std::string_view list, KernelVersion kernel) {
  if (list.empty() || list == "none") return uint32_t{0};
  uint32_t flags = 0;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view item = list.substr(start, comma - start);
    start = comma + 1;
    const auto f = std::find_if(install_flags().begin(), install_flags().end(),
                                [&](const InstallFlag& x) { return x.spelling == item; });
    if (f == install_flags().end()) {
      std::string known;
      for (const InstallFlag& x : install_flags()) known += (known.empty() ? "" : ", ") + std::string(x.spelling);
      return fail(fmt::format("invalid --install-flags \"{}\": expected a comma list of {} (or none)", item, known));
    }
    if (kernel < f->since) {
      return fail(fmt::format("--install-flags {}: {} needs Linux {}; the target kernel is {}", f->spelling, f->macro,
                              syscalls::to_string(f->since), syscalls::to_string(kernel)));
    }
    flags |= f->bit;
  }
  // seccomp_set_mode_filter refuses these with EINVAL (kernel/seccomp.c):
  // with TSYNC the return value is a thread id, with NEW_LISTENER a file
  // descriptor, so both need TSYNC_ESRCH; a killable wait applies to the
  // listener only.
  if ((flags & bit_of("tsync")) && (flags & bit_of("new-listener")) && !(flags & bit_of("tsync-esrch"))) {
    return fail("--install-flags: tsync with new-listener needs tsync-esrch (the kernel refuses it otherwise)");
  }
  if ((flags & bit_of("wait-killable-recv")) && !(flags & bit_of("new-listener"))) {
    return fail("--install-flags: wait-killable-recv needs new-listener (the kernel refuses it otherwise)");
  }
  return flags;
}

Expected<ProfileFlags> profile_install_flags(const std::vector<std::string>& profile_flags, KernelVersion kernel) {
  ProfileFlags out;
  for (const std::string& name : profile_flags) {
    const auto f = std::find_if(install_flags().begin(), install_flags().end(),
                                [&](const InstallFlag& x) { return x.macro == name; });
    if (f == install_flags().end()) return fail(fmt::format("flags: unknown seccomp filter flag \"{}\"", name));
    if (kernel < f->since) {
      out.notes.push_back(fmt::format("the profile's flag {} needs Linux {}; the target kernel is {}: not installed",
                                      f->macro, syscalls::to_string(f->since), syscalls::to_string(kernel)));
    } else if (f->bit == bit_of("wait-killable-recv")) {
      out.notes.push_back(fmt::format(
          "the profile's flag {} needs a listener (--install-flags new-listener,...): not installed", f->macro));
    } else {
      out.flags |= f->bit;
    }
  }
  return out;
}

std::string install_flag_names(uint32_t flags) {
  std::string s;
  for (const InstallFlag& f : install_flags())
    if (flags & f.bit) s += (s.empty() ? "" : " | ") + std::string(f.macro);
  return s.empty() ? "none" : s;
}

std::string default_c_name(std::string_view path) {
  if (auto slash = path.find_last_of('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (auto dot = path.find_last_of('.'); dot != std::string_view::npos && dot > 0) path = path.substr(0, dot);
  std::string o = "sysfence_";
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    o += std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : '_';
  }
  return o;
}

bool is_c_identifier(std::string_view name) {
  // C23's keywords, and C++'s (the header compiles as either): the array
  // named `int` would not.
  static constexpr std::string_view kKeywords[] = {"_Alignas",
                                                   "_Alignof",
                                                   "_Atomic",
                                                   "_BitInt",
                                                   "_Bool",
                                                   "_Complex",
                                                   "_Decimal128",
                                                   "_Decimal32",
                                                   "_Decimal64",
                                                   "_Generic",
                                                   "_Imaginary",
                                                   "_Noreturn",
                                                   "_Static_assert",
                                                   "_Thread_local",
                                                   "alignas",
                                                   "alignof",
                                                   "and",
                                                   "and_eq",
                                                   "asm",
                                                   "auto",
                                                   "bitand",
                                                   "bitor",
                                                   "bool",
                                                   "break",
                                                   "case",
                                                   "catch",
                                                   "char",
                                                   "char16_t",
                                                   "char32_t",
                                                   "char8_t",
                                                   "class",
                                                   "co_await",
                                                   "co_return",
                                                   "co_yield",
                                                   "compl",
                                                   "concept",
                                                   "const",
                                                   "const_cast",
                                                   "consteval",
                                                   "constexpr",
                                                   "constinit",
                                                   "continue",
                                                   "decltype",
                                                   "default",
                                                   "delete",
                                                   "do",
                                                   "double",
                                                   "dynamic_cast",
                                                   "else",
                                                   "enum",
                                                   "explicit",
                                                   "export",
                                                   "extern",
                                                   "false",
                                                   "float",
                                                   "for",
                                                   "friend",
                                                   "goto",
                                                   "if",
                                                   "inline",
                                                   "int",
                                                   "long",
                                                   "mutable",
                                                   "namespace",
                                                   "new",
                                                   "noexcept",
                                                   "not",
                                                   "not_eq",
                                                   "nullptr",
                                                   "operator",
                                                   "or",
                                                   "or_eq",
                                                   "private",
                                                   "protected",
                                                   "public",
                                                   "register",
                                                   "reinterpret_cast",
                                                   "requires",
                                                   "restrict",
                                                   "return",
                                                   "short",
                                                   "signed",
                                                   "sizeof",
                                                   "static",
                                                   "static_assert",
                                                   "static_cast",
                                                   "struct",
                                                   "switch",
                                                   "template",
                                                   "this",
                                                   "thread_local",
                                                   "throw",
                                                   "true",
                                                   "try",
                                                   "typedef",
                                                   "typeid",
                                                   "typename",
                                                   "typeof",
                                                   "typeof_unqual",
                                                   "union",
                                                   "unsigned",
                                                   "using",
                                                   "virtual",
                                                   "void",
                                                   "volatile",
                                                   "wchar_t",
                                                   "while",
                                                   "xor",
                                                   "xor_eq"};
  return !name.empty() && std::isdigit(static_cast<unsigned char>(name[0])) == 0 &&
         std::all_of(name.begin(), name.end(),
                     [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_'; }) &&
         std::find(std::begin(kKeywords), std::end(kKeywords), name) == std::end(kKeywords);
}

namespace {

// The compiler's predefined macros that identify each seccomp ABI (GCC and
// Clang agree on these). Byte order matters even where the kernel reports
// one AUDIT_ARCH value for both (arm, ppc): the filter reads the 64-bit
// arguments' words at byte-order-dependent offsets.
struct AbiMacros {
  ArchId id;
  std::string condition;
};

constexpr std::string_view kLe = "__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__";
constexpr std::string_view kBe = "__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__";

const std::vector<AbiMacros>& abi_macros() {
  static const std::vector<AbiMacros> table = {
      {ArchId::kX86_64, "defined(__x86_64__) && !defined(__ILP32__)"},
      {ArchId::kX32, "defined(__x86_64__) && defined(__ILP32__)"},
      {ArchId::kI386, "defined(__i386__)"},
      {ArchId::kAarch64, "defined(__aarch64__) && !defined(__ILP32__) && !defined(__AARCH64EB__)"},
      {ArchId::kArm, "defined(__arm__) && defined(__ARM_EABI__) && !defined(__ARMEB__)"},
      {ArchId::kRiscv64, "defined(__riscv) && __riscv_xlen == 64"},
      {ArchId::kRiscv32, "defined(__riscv) && __riscv_xlen == 32"},
      {ArchId::kPpc64le, fmt::format("defined(__powerpc64__) && {}", kLe)},
      {ArchId::kPpc64, fmt::format("defined(__powerpc64__) && {}", kBe)},
      {ArchId::kPpc, fmt::format("defined(__powerpc__) && !defined(__powerpc64__) && {}", kBe)},
      {ArchId::kS390x, "defined(__s390x__)"},
      {ArchId::kS390, "defined(__s390__) && !defined(__s390x__)"},
      {ArchId::kMips, "defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32 && defined(__MIPSEB__)"},
      {ArchId::kMipsel, "defined(__mips__) && defined(_ABIO32) && _MIPS_SIM == _ABIO32 && defined(__MIPSEL__)"},
      {ArchId::kMips64, "defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64 && defined(__MIPSEB__)"},
      {ArchId::kMips64el, "defined(__mips__) && defined(_ABI64) && _MIPS_SIM == _ABI64 && defined(__MIPSEL__)"},
      {ArchId::kMips64n32, "defined(__mips__) && defined(_ABIN32) && _MIPS_SIM == _ABIN32 && defined(__MIPSEB__)"},
      {ArchId::kMipsel64n32, "defined(__mips__) && defined(_ABIN32) && _MIPS_SIM == _ABIN32 && defined(__MIPSEL__)"},
      {ArchId::kLoongarch64, "defined(__loongarch__) && defined(__loongarch64)"},
      {ArchId::kParisc, "defined(__hppa__) && !defined(__LP64__)"},
      {ArchId::kParisc64, "defined(__hppa__) && defined(__LP64__)"},
      {ArchId::kM68k, "defined(__m68k__)"},
      {ArchId::kSh, fmt::format("defined(__sh__) && {}", kLe)},
      {ArchId::kSheb, fmt::format("defined(__sh__) && {}", kBe)},
      {ArchId::kCsky, "defined(__csky__)"},
      {ArchId::kXtensa, "defined(__xtensa__) && defined(__XTENSA_EL__)"},
  };
  return table;
}

std::string abi_list(const std::vector<ArchId>& abis) {
  std::string s;
  for (ArchId id : abis) s += (s.empty() ? "" : ", ") + std::string(syscalls::arch(id).name);
  return s;
}

std::string upper(std::string_view s) {
  std::string u;
  for (char ch : s) u += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return u;
}

// The guard: one branch per known ABI. The filter's own ABIs define the
// seccomp(2) number; every other ABI is an #error that names both sides.
std::string abi_guard(const CHeaderSpec& spec, std::string_view nr_macro) {
  const bool modern = spec.kernel >= kSeccompSyscallSince;
  const std::string mine = abi_list(spec.abis);
  std::string o = "/* The ABIs this filter handles; any other is a compile error. */\n";
  bool first = true;
  for (const AbiMacros& m : abi_macros()) {
    o += fmt::format("#{} {}\n", first ? "if" : "elif", m.condition);
    first = false;
    const syscalls::Arch& a = syscalls::arch(m.id);
    if (std::find(spec.abis.begin(), spec.abis.end(), m.id) == spec.abis.end()) {
      o += fmt::format("#error \"{}: this filter is for {}; the compiler targets {}\"\n", spec.name, mine, a.name);
      continue;
    }
    const auto nr = syscalls::table(m.id).number("seccomp");
    if (modern && nr) {
      o += fmt::format("#define {} {}L /* __NR_seccomp on {} */\n", nr_macro, *nr, a.name);
    } else {
      o += fmt::format("/* {}: installed with prctl(PR_SET_SECCOMP) */\n", a.name);
    }
  }
  o += fmt::format("#else\n#error \"{}: this filter is for {}; the compiler targets an ABI sysfence does not know\"\n",
                   spec.name, mine);
  o += "#endif\n\n";
  return o;
}

// inline is C99 and C++; C89 compilers of the GNU family spell it
// __inline__, and an unused static function without it warns.
std::string inline_macro(std::string_view macro) {
  return fmt::format(
      "#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)\n"
      "#define {0} inline\n"
      "#elif defined(__GNUC__)\n"
      "#define {0} __inline__\n"
      "#else\n"
      "#define {0}\n"
      "#endif\n\n",
      macro);
}

std::string installer_name(std::string_view name) {
  std::string_view base = name;
  if (base.starts_with("sysfence_") && base.size() > 9) base.remove_prefix(9);
  return fmt::format("sysfence_install_{}", base);
}

// The installer: no_new_privs, then seccomp(2) with the chosen flags, then
// prctl where seccomp(2) may be missing.
std::string installer(const CHeaderSpec& spec, std::string_view nr_macro, std::string_view inline_m) {
  const bool modern = spec.kernel >= kSeccompSyscallSince;
  std::string o;
  o += fmt::format(
      "/* Installs the filter on the calling thread{}: sets no_new_privs,\n"
      " * then {}.\n * Returns {} or -errno. */\n",
      spec.install_flags & bit_of("tsync") ? " (and with TSYNC on every thread)" : "",
      modern ? fmt::format("seccomp(SECCOMP_SET_MODE_FILTER, {})", install_flag_names(spec.install_flags))
             : std::string("prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) (the target kernel predates seccomp(2))"),
      spec.install_flags & bit_of("new-listener") ? "the listener's file descriptor" : "0");
  o += fmt::format("static {} int {}(void)\n{{\n", inline_m, installer_name(spec.name));
  if (modern) o += "    long rc;\n";
  o += "    if (prctl(38 /* PR_SET_NO_NEW_PRIVS */, 1UL, 0UL, 0UL, 0UL) != 0)\n        return -errno;\n";
  if (modern) {
    o += fmt::format("    rc = syscall({}, 1L /* SECCOMP_SET_MODE_FILTER */, {}UL, &{}_prog);\n", nr_macro,
                     spec.install_flags, spec.name);
    // With TSYNC alone a positive result is the id of a thread that could
    // not be synchronized; with NEW_LISTENER (which then needs TSYNC_ESRCH)
    // it is the listener.
    if ((spec.install_flags & bit_of("tsync")) && !(spec.install_flags & bit_of("new-listener"))) {
      o += "    if (rc > 0)\n        return -ESRCH; /* TSYNC: that thread could not be synchronized */\n";
    }
    o += "    if (rc >= 0)\n        return (int)rc;\n";
    if (spec.install_flags == 0) {
      o += "    if (errno != ENOSYS)\n        return -errno;\n";
      o += "    /* A kernel without seccomp(2): prctl installs the same filter. */\n";
    } else {
      // prctl cannot apply the flags: falling back would quietly drop TSYNC.
      o += "    return -errno;\n}\n\n";
      return o;
    }
  }
  o += fmt::format(
      "    if (prctl(22 /* PR_SET_SECCOMP */, 2UL /* SECCOMP_MODE_FILTER */, &{}_prog, 0UL, 0UL) != 0)\n"
      "        return -errno;\n"
      "    return 0;\n}}\n\n",
      spec.name);
  return o;
}

}  // namespace

std::string c_header_text(const bpf::Program& program, const CHeaderSpec& spec) {
  const std::string guard = upper(spec.name) + "_H";
  const std::string nr_macro = upper(spec.name) + "_NR_SECCOMP";
  const std::string inline_m = upper(spec.name) + "_INLINE";
  std::string o = "/* Generated by sysfence; do not edit.\n";
  for (const std::string& line : spec.summary) o += " *   " + line + "\n";
  o += fmt::format(" * Install with {}() (no_new_privs, then the filter).\n */\n", installer_name(spec.name));
  o += fmt::format("#ifndef {0}\n#define {0}\n\n", guard);
  o += abi_guard(spec, nr_macro);
  o += "#include <errno.h>\n#include <linux/filter.h>\n#include <sys/prctl.h>\n#include <unistd.h>\n\n";
  if (spec.kernel >= kSeccompSyscallSince) {
    o += "#ifndef __cplusplus\n"
         "/* <unistd.h> declares syscall() only with _DEFAULT_SOURCE or _GNU_SOURCE. */\n"
         "long syscall(long number, ...);\n"
         "#endif\n\n";
  }
  o += inline_macro(inline_m);
  // Not const: struct sock_fprog's filter member is not a pointer to const,
  // and casting const away is what -Wcast-qual rejects.
  o += fmt::format("static struct sock_filter {}[] = {{\n", spec.name);
  for (size_t i = 0; i < program.size(); ++i) {
    const bpf::Insn& in = program[i];
    o += fmt::format("    {{0x{:02x}, {}, {}, 0x{:08x}}}, /* {:04}: {} */\n", in.code, in.jt, in.jf, in.k, i,
                     i < spec.statements.size() ? spec.statements[i] : "");
  }
  o += "};\n\n";
  o += fmt::format(
      "static const struct sock_fprog {0}_prog = {{\n"
      "    (unsigned short)(sizeof({0}) / sizeof({0}[0])),\n"
      "    {0}\n"
      "}};\n\n",
      spec.name);
  o += installer(spec, nr_macro, inline_m);
  o += fmt::format("#endif /* {} */\n", guard);
  return o;
}

}  // namespace sysfence::pipeline
