// Program transforms on the return values of a finished filter. They keep
// every test and jump of the program as it is and change only what the
// `ret K` instructions answer, so the transformed filter takes exactly the
// same decision path for every seccomp_data as the original: only the
// verdict at the end differs. Machine level: no profile knowledge.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <span>

#include "base/expected.h"
#include "bpf/insn.h"

namespace sysfence::run {

// Every distinct constant a `ret K` instruction of `prog` returns.
std::set<uint32_t> return_values(std::span<const bpf::Insn> prog);

// A copy of `prog` in which each `ret K` returns `map(K)`. Fails when the
// program returns a computed value (`ret A`): its verdicts cannot be renamed
// without changing the program's logic. The instruction count is unchanged.
Expected<bpf::Program> map_returns(std::span<const bpf::Insn> prog, const std::function<uint32_t(uint32_t)>& map);

// The filter `sysfence run --trace-denials` installs: every verdict that is
// not ALLOW or LOG becomes USER_NOTIF, so that a supervisor sees each call
// the original filter would deny (errno, kill, trap or trace) before the
// kernel acts, while ALLOW and LOG stay decided in the kernel (and cacheable).
Expected<bpf::Program> notify_variant(std::span<const bpf::Insn> prog);

}  // namespace sysfence::run
