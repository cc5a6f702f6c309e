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

// The --caps syntax: "docker-default", "all", "none", or a comma list, the
// union of its items: capability names, "docker-default" and "all" ("none"
// only alone). Names are case-insensitive and the CAP_ prefix is optional
// ("sys_admin" -> CAP_SYS_ADMIN). Errors name the unknown entry and suggest
// the nearest name; an empty list or item is an error (an unset variable,
// a stray comma), not "none".
Expected<CapSet> parse_caps(std::string_view spec);

}  // namespace sysfence::profile
