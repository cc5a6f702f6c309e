// Linux capability names and the capability sets resolution is run with
// (moby compares the profile's includes/excludes "caps" against the
// container's bounding set, as plain strings).
#pragma once

#include <functional>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace sysfence::profile {

using CapSet = std::set<std::string, std::less<>>;

// CAP_CHOWN .. CAP_CHECKPOINT_RESTORE, in number order
// (include/uapi/linux/capability.h).
std::span<const std::string_view> capability_names();

// Docker's 14 default capabilities (moby's oci/caps DefaultCapabilities).
CapSet docker_default_caps();
CapSet all_caps();

// The --caps syntax: "docker-default", "all", "none" (or ""), or a comma
// list mixing those keywords and capability names. Names are
// case-insensitive and the CAP_ prefix is optional ("sys_admin" ->
// CAP_SYS_ADMIN). Errors name the unknown entry and suggest the nearest name.
Expected<CapSet> parse_caps(std::string_view spec);

}  // namespace sysfence::profile
