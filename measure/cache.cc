#include "measure/cache.h"

namespace sysfence::measure {

namespace {
constexpr uint32_t kSeccompRetAllow = 0x7fff0000U;
}  // namespace

bool kernel_caches_allow(std::span<const bpf::Insn> prog, uint32_t arch, uint32_t nr) {
  uint32_t reg = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf::Insn& in = prog[pc];
    switch (in.code) {
      case bpf::kLd | bpf::kW | bpf::kAbs:
        if (in.k == 0) reg = nr;
        else if (in.k == 4) reg = arch;
        else return false;  // a value the emulation does not know
        break;
      case bpf::kRet | bpf::kRetK: return in.k == kSeccompRetAllow;
      case bpf::kJmp | bpf::kJa: pc += in.k; break;
      case bpf::kJmp | bpf::kJeq | bpf::kK: pc += reg == in.k ? in.jt : in.jf; break;
      case bpf::kJmp | bpf::kJge | bpf::kK: pc += reg >= in.k ? in.jt : in.jf; break;
      case bpf::kJmp | bpf::kJgt | bpf::kK: pc += reg > in.k ? in.jt : in.jf; break;
      case bpf::kJmp | bpf::kJset | bpf::kK: pc += (reg & in.k) != 0 ? in.jt : in.jf; break;
      case bpf::kAlu | bpf::kAnd | bpf::kK: reg &= in.k; break;
      default: return false;
    }
  }
  return false;  // ran off the end (the kernel warns)
}

bool abi_has_action_cache(syscalls::ArchId abi) {
  using syscalls::ArchId;
  switch (abi) {
    case ArchId::kX32:
    case ArchId::kMips:
    case ArchId::kMipsel:
    case ArchId::kMips64:
    case ArchId::kMips64el:
    case ArchId::kMips64n32:
    case ArchId::kMipsel64n32: return false;
    default: return true;
  }
}

}  // namespace sysfence::measure
