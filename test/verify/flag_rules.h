// Profiles of rules on flag masks for the proof's tests: many rules on one
// syscall, each testing a few bits of a few arguments, the shape whose
// clauses the diagrams' walk meets in more combinations than its budget and
// the satisfiability search proves.
#pragma once

#include <cstdint>

#include "policy/policy.h"

namespace sysfence::verify::testing {

inline constexpr uint32_t kIoctl = 16;  // x86_64

// `rules` rules on ioctl (x86_64), each `min_conditions` to three conditions
// (w & m) == v on distinct arguments among the first `arguments`, m of one
// to three random bits of all 64, v random within m; ALLOW or ERRNO(13);
// default ERRNO(1). The same `seed` gives the same policy.
policy::Policy flag_mask_policy(uint64_t seed, unsigned rules, unsigned min_conditions, unsigned arguments);

}  // namespace sysfence::verify::testing
