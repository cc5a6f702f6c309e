#include "syscalls/arch.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "syscalls/edit_distance.h"
#include "syscalls/generated_tables.h"

namespace sysfence::syscalls {
namespace {

// ELF machine numbers (include/uapi/linux/elf-em.h) and the AUDIT_ARCH flag
// bits (include/uapi/linux/audit.h): AUDIT_ARCH_* = EM_* | flags.
constexpr uint32_t kEm386 = 3;
constexpr uint32_t kEm68k = 4;
constexpr uint32_t kEmMips = 8;
constexpr uint32_t kEmParisc = 15;
constexpr uint32_t kEmPpc = 20;
constexpr uint32_t kEmPpc64 = 21;
constexpr uint32_t kEmS390 = 22;
constexpr uint32_t kEmArm = 40;
constexpr uint32_t kEmSh = 42;
constexpr uint32_t kEmX86_64 = 62;
constexpr uint32_t kEmXtensa = 94;
constexpr uint32_t kEmAarch64 = 183;
constexpr uint32_t kEmRiscv = 243;
constexpr uint32_t kEmCsky = 252;
constexpr uint32_t kEmLoongarch = 258;
constexpr uint32_t k64Bit = 0x80000000U;      // __AUDIT_ARCH_64BIT
constexpr uint32_t kLe = 0x40000000U;         // __AUDIT_ARCH_LE
constexpr uint32_t kMips64N32 = 0x20000000U;  // __AUDIT_ARCH_CONVENTION_MIPS64_N32

constexpr uint32_t kX32Bias = 0x40000000U;  // __X32_SYSCALL_BIT

constexpr bool table_has(ArchId id, std::string_view name) {
  return std::ranges::any_of(generated::kTables[static_cast<size_t>(id)].entries(),
                             [name](const auto& s) { return s.name == name; });
}

// One ABI: the descriptor plus extra spellings find_arch accepts. The
// multiplexer flags come from the generated tables, never from memory.
struct ArchSpec {
  Arch arch;
  std::array<std::string_view, 3> aliases;
};

constexpr ArchSpec spec(ArchId id, std::string_view name, std::string_view scmp, std::string_view go, uint32_t audit,
                        unsigned bits, Endian e, uint32_t bias, std::array<std::string_view, 3> aliases = {}) {
  return ArchSpec{Arch{id, name, scmp, go, audit, bits, e, bias, table_has(id, "socketcall"), table_has(id, "ipc")},
                  aliases};
}

constexpr Endian L = Endian::kLittle;
constexpr Endian B = Endian::kBig;

// Notes on the less obvious entries:
// - x32 reports AUDIT_ARCH_X86_64 (arch/x86/include/asm/syscall.h); only bit
//   30 of nr (__X32_SYSCALL_BIT) tells it apart from x86_64.
// - arm: the kernel reports AUDIT_ARCH_ARM (little-endian flag set) for every
//   ARM task, big-endian (BE8) ones included (arch/arm/include/asm/syscall.h).
//   EABI only: HAVE_ARCH_SECCOMP_FILTER needs AEABI && !OABI_COMPAT.
// - ppc: 32-bit powerpc tasks report AUDIT_ARCH_PPC whatever their endianness
//   (there is no AUDIT_ARCH_PPCLE).
// - sh: little-endian SuperH reports AUDIT_ARCH_SHEL ("sh", SCMP_ARCH_SH),
//   big-endian AUDIT_ARCH_SH ("sheb", SCMP_ARCH_SHEB), as libseccomp names them.
// - xtensa: AUDIT_ARCH_XTENSA has no endianness bit and cores exist in both
//   byte orders; sysfence assumes little-endian (the common configurations).
// - s390: 31-bit userspace was removed in Linux 6.19; 6.12 still runs it.
// - SCMP_ARCH_RISCV32, SCMP_ARCH_CSKY and SCMP_ARCH_XTENSA are sysfence's own
//   spellings: libseccomp has no such ABIs. ABIs without a Go port use their
//   short name as go_name.
// Every arch here selects HAVE_ARCH_SECCOMP_FILTER in linux 6.12's
// arch/*/Kconfig (the table generator checks it), so none is dropped.
constexpr std::array<ArchSpec, kArchCount> kSpecs{{
    spec(ArchId::kX86_64, "x86_64", "SCMP_ARCH_X86_64", "amd64", kEmX86_64 | k64Bit | kLe, 64, L, 0, {"x86-64"}),
    spec(ArchId::kX32, "x32", "SCMP_ARCH_X32", "x32", kEmX86_64 | k64Bit | kLe, 32, L, kX32Bias),
    spec(ArchId::kI386, "i386", "SCMP_ARCH_X86", "386", kEm386 | kLe, 32, L, 0, {"x86", "i686", "i586"}),
    spec(ArchId::kAarch64, "aarch64", "SCMP_ARCH_AARCH64", "arm64", kEmAarch64 | k64Bit | kLe, 64, L, 0),
    spec(ArchId::kArm, "arm", "SCMP_ARCH_ARM", "arm", kEmArm | kLe, 32, L, 0, {"armhf", "armel"}),
    spec(ArchId::kRiscv64, "riscv64", "SCMP_ARCH_RISCV64", "riscv64", kEmRiscv | k64Bit | kLe, 64, L, 0),
    spec(ArchId::kRiscv32, "riscv32", "SCMP_ARCH_RISCV32", "riscv32", kEmRiscv | kLe, 32, L, 0),
    spec(ArchId::kPpc64le, "ppc64le", "SCMP_ARCH_PPC64LE", "ppc64le", kEmPpc64 | k64Bit | kLe, 64, L, 0,
         {"ppc64el", "powerpc64le"}),
    spec(ArchId::kPpc64, "ppc64", "SCMP_ARCH_PPC64", "ppc64", kEmPpc64 | k64Bit, 64, B, 0, {"powerpc64"}),
    spec(ArchId::kPpc, "ppc", "SCMP_ARCH_PPC", "ppc", kEmPpc, 32, B, 0, {"powerpc"}),
    spec(ArchId::kS390x, "s390x", "SCMP_ARCH_S390X", "s390x", kEmS390 | k64Bit, 64, B, 0),
    spec(ArchId::kS390, "s390", "SCMP_ARCH_S390", "s390", kEmS390, 32, B, 0),
    spec(ArchId::kMips, "mips", "SCMP_ARCH_MIPS", "mips", kEmMips, 32, B, 4000),
    spec(ArchId::kMipsel, "mipsel", "SCMP_ARCH_MIPSEL", "mipsle", kEmMips | kLe, 32, L, 4000),
    spec(ArchId::kMips64, "mips64", "SCMP_ARCH_MIPS64", "mips64", kEmMips | k64Bit, 64, B, 5000),
    spec(ArchId::kMips64el, "mips64el", "SCMP_ARCH_MIPSEL64", "mips64le", kEmMips | k64Bit | kLe, 64, L, 5000,
         {"mipsel64"}),
    spec(ArchId::kMips64n32, "mips64n32", "SCMP_ARCH_MIPS64N32", "mips64p32", kEmMips | k64Bit | kMips64N32, 32, B,
         6000, {"mipsn32"}),
    spec(ArchId::kMipsel64n32, "mipsel64n32", "SCMP_ARCH_MIPSEL64N32", "mips64p32le",
         kEmMips | k64Bit | kLe | kMips64N32, 32, L, 6000, {"mips64eln32", "mipsn32el"}),
    spec(ArchId::kLoongarch64, "loongarch64", "SCMP_ARCH_LOONGARCH64", "loong64", kEmLoongarch | k64Bit | kLe, 64, L,
         0),
    spec(ArchId::kParisc, "parisc", "SCMP_ARCH_PARISC", "parisc", kEmParisc, 32, B, 0, {"hppa"}),
    spec(ArchId::kParisc64, "parisc64", "SCMP_ARCH_PARISC64", "parisc64", kEmParisc | k64Bit, 64, B, 0, {"hppa64"}),
    spec(ArchId::kM68k, "m68k", "SCMP_ARCH_M68K", "m68k", kEm68k, 32, B, 0),
    spec(ArchId::kSh, "sh", "SCMP_ARCH_SH", "sh", kEmSh | kLe, 32, L, 0, {"sh4", "shel"}),
    spec(ArchId::kSheb, "sheb", "SCMP_ARCH_SHEB", "sheb", kEmSh, 32, B, 0, {"sh4eb"}),
    spec(ArchId::kCsky, "csky", "SCMP_ARCH_CSKY", "csky", kEmCsky | kLe, 32, L, 0),
    spec(ArchId::kXtensa, "xtensa", "SCMP_ARCH_XTENSA", "xtensa", kEmXtensa, 32, L, 0),
}};

constexpr std::array<Arch, kArchCount> make_arches() {
  std::array<Arch, kArchCount> out{};
  for (size_t i = 0; i < kSpecs.size(); ++i) out[i] = kSpecs[i].arch;
  return out;
}
constexpr std::array<Arch, kArchCount> kArches = make_arches();

constexpr bool arches_in_id_order() {
  for (size_t i = 0; i < kArches.size(); ++i)
    if (static_cast<size_t>(kArches[i].id) != i) return false;
  return true;
}
static_assert(arches_in_id_order());

// All spellings of one ABI, without duplicates (go_name often equals name).
const std::array<std::vector<std::string_view>, kArchCount>& spellings_by_arch() {
  static const auto table = [] {
    std::array<std::vector<std::string_view>, kArchCount> out;
    for (size_t i = 0; i < kSpecs.size(); ++i) {
      const auto& s = kSpecs[i];
      auto add = [&](std::string_view v) {
        if (v.empty()) return;
        for (auto have : out[i])
          if (have == v) return;
        out[i].push_back(v);
      };
      add(s.arch.name);
      add(s.arch.scmp_name);
      add(s.arch.go_name);
      for (auto a : s.aliases) add(a);
    }
    return out;
  }();
  return table;
}

constexpr ArchId kNoSubArches[] = {ArchId::kX86_64};  // placeholder storage; span below is empty
constexpr ArchId kSubX86_64[] = {ArchId::kI386, ArchId::kX32};
constexpr ArchId kSubAarch64[] = {ArchId::kArm};
constexpr ArchId kSubMips64[] = {ArchId::kMips, ArchId::kMips64n32};
constexpr ArchId kSubMips64n32[] = {ArchId::kMips, ArchId::kMips64};
constexpr ArchId kSubMips64el[] = {ArchId::kMipsel, ArchId::kMipsel64n32};
constexpr ArchId kSubMipsel64n32[] = {ArchId::kMipsel, ArchId::kMips64el};
constexpr ArchId kSubS390x[] = {ArchId::kS390};

}  // namespace

std::span<const Arch> all_arches() { return kArches; }

const Arch& arch(ArchId id) { return kArches[static_cast<size_t>(id)]; }

const Arch* find_arch(std::string_view spelling) {
  const auto& all = spellings_by_arch();
  for (size_t i = 0; i < all.size(); ++i)
    for (auto s : all[i])
      if (s == spelling) return &kArches[i];
  return nullptr;
}

std::span<const std::string_view> arch_spellings(ArchId id) { return spellings_by_arch()[static_cast<size_t>(id)]; }

const Arch* find_arch_by_alias(std::string_view spelling) {
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string whole = lower(spelling);
  constexpr std::string_view kScmpPrefix = "scmp_arch_";
  const std::string bare = whole.starts_with(kScmpPrefix) ? whole.substr(kScmpPrefix.size()) : whole;
  const auto& all = spellings_by_arch();
  for (size_t i = 0; i < all.size(); ++i) {
    for (auto s : all[i]) {
      const std::string known = lower(s);
      if (known == whole || known == bare) return &kArches[i];
    }
  }
  return nullptr;
}

std::string_view nearest_arch_spelling(std::string_view spelling) {
  if (const Arch* a = find_arch_by_alias(spelling)) return a->name;
  std::string_view best = "native";
  size_t best_d = edit_distance(spelling, best);
  for (const auto& list : spellings_by_arch()) {
    for (auto s : list) {
      const size_t d = edit_distance(spelling, s);
      if (d < best_d) {
        best_d = d;
        best = s;
      }
    }
  }
  return best;
}

Expected<const Arch*> parse_arch(std::string_view spelling) {
  if (spelling == "native") return &native_arch();
  if (const Arch* a = find_arch(spelling)) return a;
  // Nothing to suggest a spelling from ("sh" is merely the shortest).
  if (spelling.empty()) return fail("empty architecture name (expected one such as x86_64, or native)");
  // A suggestion only where it reads as a typo (or is an alias): "foo" is no
  // misspelt "x32".
  const std::string_view near = nearest_arch_spelling(spelling);
  if (find_arch_by_alias(spelling) != nullptr || edit_distance(spelling, near) <= typo_distance(spelling))
    return fail(fmt::format(R"(unknown architecture "{}" (did you mean "{}"?))", spelling, near));
  return fail(fmt::format(
      R"(unknown architecture "{}" (expected one such as x86_64, aarch64 or native; `sysfence resolve --list-arches` lists them))",
      spelling));
}

const Arch& native_arch() {
#if defined(__x86_64__) && defined(__ILP32__)
  return arch(ArchId::kX32);
#elif defined(__x86_64__)
  return arch(ArchId::kX86_64);
#elif defined(__i386__)
  return arch(ArchId::kI386);
#elif defined(__aarch64__)
  return arch(ArchId::kAarch64);
#elif defined(__arm__)
  return arch(ArchId::kArm);
#elif defined(__riscv) && __riscv_xlen == 64
  return arch(ArchId::kRiscv64);
#elif defined(__riscv) && __riscv_xlen == 32
  return arch(ArchId::kRiscv32);
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return arch(ArchId::kPpc64le);
#elif defined(__powerpc64__)
  return arch(ArchId::kPpc64);
#elif defined(__powerpc__)
  return arch(ArchId::kPpc);
#elif defined(__s390x__)
  return arch(ArchId::kS390x);
#elif defined(__s390__)
  return arch(ArchId::kS390);
#elif defined(__mips__) && _MIPS_SIM == _ABIO32 && defined(__MIPSEL__)
  return arch(ArchId::kMipsel);
#elif defined(__mips__) && _MIPS_SIM == _ABIO32
  return arch(ArchId::kMips);
#elif defined(__mips__) && _MIPS_SIM == _ABI64 && defined(__MIPSEL__)
  return arch(ArchId::kMips64el);
#elif defined(__mips__) && _MIPS_SIM == _ABI64
  return arch(ArchId::kMips64);
#elif defined(__mips__) && _MIPS_SIM == _ABIN32 && defined(__MIPSEL__)
  return arch(ArchId::kMipsel64n32);
#elif defined(__mips__) && _MIPS_SIM == _ABIN32
  return arch(ArchId::kMips64n32);
#elif defined(__loongarch__) && __loongarch_grlen == 64
  return arch(ArchId::kLoongarch64);
#elif defined(__hppa__) && defined(__LP64__)
  return arch(ArchId::kParisc64);
#elif defined(__hppa__)
  return arch(ArchId::kParisc);
#elif defined(__m68k__)
  return arch(ArchId::kM68k);
#elif defined(__sh__) && defined(__LITTLE_ENDIAN__)
  return arch(ArchId::kSh);
#elif defined(__sh__)
  return arch(ArchId::kSheb);
#elif defined(__csky__)
  return arch(ArchId::kCsky);
#elif defined(__xtensa__)
  return arch(ArchId::kXtensa);
#else
#error "sysfence: unknown host architecture (add it to syscalls/arch.cc native_arch)"
#endif
}

std::span<const ArchId> default_sub_arches(ArchId a) {
  switch (a) {
    case ArchId::kX86_64: return kSubX86_64;
    case ArchId::kAarch64: return kSubAarch64;
    case ArchId::kMips64: return kSubMips64;
    case ArchId::kMips64n32: return kSubMips64n32;
    case ArchId::kMips64el: return kSubMips64el;
    case ArchId::kMipsel64n32: return kSubMipsel64n32;
    case ArchId::kS390x: return kSubS390x;
    default: return std::span<const ArchId>(kNoSubArches, 0);
  }
}

}  // namespace sysfence::syscalls
