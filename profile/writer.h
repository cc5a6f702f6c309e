// Printing a profile back as canonical JSON: fixed key order (the order of
// Docker's own profile), two-space indentation, arrays of scalars on one
// line, empty and absent fields left out, the legacy "name" written as
// "names". read_profile(write_profile(p)) gives p back (positions aside).
#pragma once

#include <string>

#include "profile/profile.h"

namespace sysfence::profile {

std::string write_profile(const Profile& p);

// A JSON string literal, quotes included ("a\"b" -> "\"a\\\"b\"").
std::string json_quote(std::string_view s);

}  // namespace sysfence::profile
