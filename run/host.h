// Facts about the process sysfence runs in: its capability sets, from
// /proc/self/status. `sysfence run --caps current` resolves the profile for
// the effective set (the process is the "container"); whether the effective
// set holds CAP_SYS_ADMIN decides whether no_new_privs must be set before a
// filter can be installed.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/expected.h"
#include "profile/caps.h"

namespace sysfence::run {

// The mask on the line `key` ("CapEff", "CapBnd") of a /proc/PID/status text
// ("CapBnd:\t000001ffffffffff"). Errors name the problem ("no CapBnd line",
// "CapBnd value \"xyz\" is not a 64-bit hex mask").
Expected<uint64_t> parse_cap_mask(std::string_view proc_status, std::string_view key);
inline Expected<uint64_t> parse_cap_bnd(std::string_view proc_status) { return parse_cap_mask(proc_status, "CapBnd"); }

// Capability names of the set bits, by number (capability_names()). Bits the
// name table does not know (capabilities newer than it) are skipped: no
// profile can name them either.
profile::CapSet caps_from_mask(uint64_t mask);

// The bounding and the effective set of the calling process, from /proc/self/status.
Expected<profile::CapSet> bounding_caps();
Expected<profile::CapSet> effective_caps();

// Whether the calling process may install a filter without no_new_privs:
// the kernel asks for CAP_SYS_ADMIN in its effective set. False when the
// set cannot be read (setting no_new_privs is then the safe choice).
bool has_effective_sys_admin();

// Whether no_new_privs is already set on the calling process (inherited:
// setting it again changes nothing).
bool no_new_privs_set();

}  // namespace sysfence::run
