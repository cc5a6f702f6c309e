// /proc/PID/status, the fields the live readers need.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

#include "base/expected.h"

namespace sysfence::live {

// "Name:\tvalue" lines as a map (values without leading whitespace); "self"
// for pid 0. Error: "process 123: no such process".
Expected<std::map<std::string, std::string>> read_status_fields(pid_t pid);

// A field as a number, when present and numeric.
std::optional<unsigned long> status_number(const std::map<std::string, std::string>& fields, const std::string& name);

}  // namespace sysfence::live
