#include "run/rewrite.h"

#include "base/seccomp.h"

namespace sysfence::run {

namespace {

bool is_ret_k(const bpf::Insn& insn) {
  return bpf::insn_class(insn.code) == bpf::kRet && bpf::insn_rval(insn.code) == bpf::kRetK;
}

}  // namespace

std::set<uint32_t> return_values(std::span<const bpf::Insn> prog) {
  std::set<uint32_t> out;
  for (const bpf::Insn& insn : prog) {
    if (is_ret_k(insn)) out.insert(insn.k);
  }
  return out;
}

Expected<bpf::Program> map_returns(std::span<const bpf::Insn> prog, const std::function<uint32_t(uint32_t)>& map) {
  bpf::Program out(prog.begin(), prog.end());
  for (size_t i = 0; i < out.size(); ++i) {
    bpf::Insn& insn = out[i];
    if (bpf::insn_class(insn.code) != bpf::kRet) continue;
    if (!is_ret_k(insn)) {
      return fail("instruction " + std::to_string(i) +
                  " returns a computed value (ret A); its verdicts cannot be rewritten");
    }
    insn.k = map(insn.k);
  }
  return out;
}

Expected<bpf::Program> notify_variant(std::span<const bpf::Insn> prog) {
  return map_returns(prog, [](uint32_t k) {
    const ActionKind kind = decode(k).kind;
    return kind == ActionKind::kAllow || kind == ActionKind::kLog ? k : kRetUserNotif;
  });
}

}  // namespace sysfence::run
