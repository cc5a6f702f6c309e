// Small generators of seccomp programs in the shapes other tools produce,
// written here from the policy semantics (not from those tools' code), so the
// checker can be shown to verify filters it did not generate:
//   kLinear      an arch check, then one `jeq` per syscall in number order
//                (hand-written sandboxes, libseccomp without optimization);
//   kBinaryTree  an arch check, then a binary search over syscall numbers
//                with `jge`, ending in `jeq` (libseccomp's binary tree);
//   kRuncStub    runc's ENOSYS stub in front of a linear body that knows
//                nothing about ENOSYS: per arch, numbers above the last
//                known one return ERRNO(ENOSYS) before the body runs.
// Argument checks follow libseccomp's shape: high word first, then low word,
// `and` before masked comparisons, one rule after another.
#pragma once

#include <random>

#include "base/expected.h"
#include "bpf/insn.h"
#include "policy/policy.h"
#include "syscalls/arch.h"

namespace sysfence::verify::testing {

enum class Style { kLinear, kBinaryTree, kRuncStub };

Expected<bpf::Program> render(const policy::Policy& policy, Style style);

// A random policy for `native` and its default sub-arches: random syscalls of
// each table with 0-3 rules of 0-3 conditions (every operator, both widths,
// 64-bit constants around the word boundaries), random actions, and for
// some policies runc's enosys_above (at the table's last number).
policy::Policy random_policy(std::mt19937_64& rng, syscalls::ArchId native);

}  // namespace sysfence::verify::testing
