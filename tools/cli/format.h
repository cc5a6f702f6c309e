// --format: the text report (the default), a JSON document (every command
// that reports something) or SARIF (audit). The documents share their first
// fields: {"version": schema version, "sysfence": tool version, "command"}.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "tools/cli/args.h"

namespace sysfence::cli {

enum class OutputFormat { kText, kJson, kSarif };

// The --format value; sarif only when `allow_sarif`. Error: "invalid
// --format "x": expected text or json".
Expected<OutputFormat> parse_format(const ParsedArgs& args, bool allow_sarif = false);

// {"version", "sysfence", "command", then the body's fields}, pretty-printed.
std::string json_document(std::string_view command, const boost::json::object& body);

// Writes json_document to stdout.
void print_json(std::string_view command, const boost::json::object& body);

}  // namespace sysfence::cli
