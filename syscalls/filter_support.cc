#include "syscalls/filter_support.h"

#include <array>

namespace sysfence::syscalls {

namespace {

// The seccomp(2) man page (man-pages 6.x, "Architecture support for seccomp
// BPF", checked there against HAVE_ARCH_SECCOMP_FILTER in the Kconfig files
// up to Linux 4.16) for the ABIs it lists; the rest from the commits that
// selected the symbol, as the projects that waited for them recorded them.
constexpr std::string_view kManPage = "seccomp(2), Architecture support for seccomp BPF";
constexpr std::string_view kRiscv =
    "riscv: add support for SECCOMP and SECCOMP_FILTER (v5.5); systemd PR 15176: \"available in the riscv64 kernel "
    "since version 5.5\"";
constexpr std::string_view kSh = "torvalds/linux 0bb605c2c7f2 (v5.9-rc1), as libseccomp issue 272 records";
constexpr std::string_view kLoongarch =
    "the LoongArch port, merged in v5.19 with seccomp filter support (dhcpcd PR 93: \"seccomp is fully supported on "
    "the Linux/LoongArch port already\")";
constexpr std::string_view kUnknown =
    "not found in the sources consulted (the seccomp(2) man page, libseccomp's and systemd's port discussions); not "
    "checked";

constexpr FilterSupport kX86{{3, 5, 0}, kManPage};
constexpr FilterSupport kArm{{3, 8, 0}, kManPage};
constexpr FilterSupport kS390{{3, 8, 0}, kManPage};
constexpr FilterSupport kMips{{3, 16, 0}, kManPage};
constexpr FilterSupport kArm64{{3, 19, 0}, kManPage};
constexpr FilterSupport kPowerpc{{4, 3, 0}, kManPage};
constexpr FilterSupport kParisc{{4, 6, 0}, kManPage};

constexpr std::array<FilterSupport, kArchCount> kTable{{
    kX86,                      // x86_64
    kX86,                      // x32
    kX86,                      // i386
    kArm64,                    // aarch64
    kArm,                      // arm
    {{5, 5, 0}, kRiscv},       // riscv64
    {{5, 5, 0}, kRiscv},       // riscv32
    kPowerpc,                  // ppc64le
    kPowerpc,                  // ppc64
    kPowerpc,                  // ppc
    kS390,                     // s390x
    kS390,                     // s390
    kMips,                     // mips
    kMips,                     // mipsel
    kMips,                     // mips64
    kMips,                     // mips64el
    kMips,                     // mips64n32
    kMips,                     // mipsel64n32
    {{5, 19, 0}, kLoongarch},  // loongarch64
    kParisc,                   // parisc
    kParisc,                   // parisc64
    {{0, 0, 0}, kUnknown},     // m68k
    {{5, 9, 0}, kSh},          // sh
    {{5, 9, 0}, kSh},          // sheb
    {{0, 0, 0}, kUnknown},     // csky
    {{0, 0, 0}, kUnknown},     // xtensa
}};

}  // namespace

const FilterSupport& filter_support(ArchId id) { return kTable[static_cast<size_t>(id)]; }

const SeccompExemption* seccomp_exemption(uint32_t audit_arch, uint32_t nr, KernelVersion kernel) {
  static constexpr SeccompExemption kExempt[] = {{"uretprobe", {6, 12, 0}}, {"uprobe", {6, 18, 0}}};
  if (audit_arch != arch(ArchId::kX86_64).audit_arch) return nullptr;
  for (const SeccompExemption& e : kExempt) {
    if (kernel < e.since) continue;
    if (const auto n = table(ArchId::kX86_64).number(e.name); n && *n == nr) return &e;
  }
  return nullptr;
}

}  // namespace sysfence::syscalls
