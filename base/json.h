// The conventions every `--format json` document shares, written with
// Boost.JSON: a schema version, actions as name and full 32-bit value,
// positions as {file, line, col}, seccomp_data field by field, and one
// pretty-printer so that every command indents alike. docs/json.md
// documents the schemas built on these.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/seccomp.h"

namespace sysfence {

// The "version" field of every document: raised when a field changes
// meaning or disappears (new fields do not raise it).
inline constexpr int kJsonSchemaVersion = 1;

// {"name": "ERRNO(1)", "value": 327681}: the CLI's spelling and the whole
// SECCOMP_RET_* value, data bits included.
boost::json::object action_json(Action a);

// {"file": "default", "line": 12, "col": 5}; line and col are 1-based, 0
// when unknown.
boost::json::object location_json(std::string_view file, uint32_t line, uint32_t col);

// {"nr": 59, "arch": 3221225534, "args": [6 numbers], "instruction_pointer": 0}.
boost::json::object seccomp_data_json(const SeccompData& d);

// Two-space indentation, one member or element per line (empty arrays and
// objects as [] and {}), ending in a newline.
std::string pretty_json(const boost::json::value& v);

}  // namespace sysfence
