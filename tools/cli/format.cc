#include "tools/cli/format.h"

#include <fmt/format.h>

#include "base/json.h"
#include "tools/version.h"

namespace sysfence::cli {

Expected<OutputFormat> parse_format(const ParsedArgs& args, bool allow_sarif) {
  const std::string f = args.get_or("format", "text");
  if (f == "text") return OutputFormat::kText;
  if (f == "json") return OutputFormat::kJson;
  if (f == "sarif" && allow_sarif) return OutputFormat::kSarif;
  return fail(fmt::format("invalid --format \"{}\": expected text{}", f, allow_sarif ? ", json or sarif" : " or json"));
}

std::string json_document(std::string_view command, const boost::json::object& body) {
  boost::json::object doc;
  doc["version"] = kJsonSchemaVersion;
  doc["sysfence"] = kVersion;
  doc["command"] = command;
  for (const auto& [key, value] : body) doc[key] = value;
  return pretty_json(doc);
}

void print_json(std::string_view command, const boost::json::object& body) {
  fmt::print("{}", json_document(command, body));
}

}  // namespace sysfence::cli
