// Facts about the process sysfence runs in that resolution needs when the
// user does not override them: its capability bounding set (Docker matches
// includes/excludes "caps" against the container's bounding set; for
// `sysfence run` the "container" is this process).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/expected.h"
#include "profile/caps.h"

namespace sysfence::run {

// The CapBnd mask of a /proc/PID/status text ("CapBnd:\t000001ffffffffff").
// Errors name the problem ("no CapBnd line", "CapBnd value \"xyz\" is not hex").
Expected<uint64_t> parse_cap_bnd(std::string_view proc_status);

// Capability names of the set bits, by number (capability_names()). Bits the
// name table does not know (capabilities newer than it) are skipped: no
// profile can name them either.
profile::CapSet caps_from_mask(uint64_t mask);

// The bounding set of the calling process, from /proc/self/status.
Expected<profile::CapSet> bounding_caps();

}  // namespace sysfence::run
