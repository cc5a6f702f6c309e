// Pass 5 (compile.h lists the passes): tests that the tests above them
// decide are bypassed.
//
// The argument subtrees are built a syscall's rules at a time, often as a
// chain of smaller diagrams, each segment continuing at the next where its
// own tests fail. A segment cannot see the tests of the segments before it:
// a rule `arg0 >= 0x7dc6b && ...` after one `arg0 >= 0x71e95`, or a flag-mask
// rule after two that cover both values of its bit, is still tested on
// paths where the earlier tests already settled it, and what lies behind
// the outcome those paths can no longer take is dead code (50 allowed + 200
// conditions on ioctl: 140 of 550 instructions; 650 flag-mask rules: 3,900
// of 4,045).
//
// The pass visits the graph's nodes parents first with what the tests on
// every path into each node establish about each word (its bounds, its
// known bits, that some bit of a flag mask is set, the last value it was
// found unequal to; where paths join, what both establish),
// redirects each branch past the tests those facts and the branch's own
// outcome decide, and rebuilds the nodes still reached with their new
// branches. No node is duplicated and no path gains an instruction: a path
// runs the tests of the original one that are not bypassed (the caller's
// proof checks the program as before).
#pragma once

#include <optional>

#include "compiler/graph.h"

namespace sysfence::compiler {

// The graph at `entry` (a program's entry: A holds nothing there) with
// every decided test bypassed (new nodes in `g`); nullopt when no test was
// decided, or when the result would take more instructions than the
// original (a redirected branch may enter a node at its load).
std::optional<Edge> prune_decided_tests(Graph& g, Edge entry);

}  // namespace sysfence::compiler
