#include "audit/json.h"

#include "base/json.h"

namespace sysfence::audit {

namespace json = boost::json;

namespace {

json::value location_value(const Finding& f) {
  if (!f.location) return nullptr;
  return location_json(f.location->file, f.location->line, f.location->col);
}

}  // namespace

json::object to_json(const Report& report) {
  json::object o;
  json::array scope;
  for (const std::string& s : report.scope) scope.emplace_back(s);
  o["scope"] = std::move(scope);
  json::object counts;
  for (Severity s : {Severity::kCritical, Severity::kHigh, Severity::kMedium, Severity::kLow, Severity::kInfo}) {
    size_t n = 0;
    for (const Finding& f : report.findings) n += f.severity == s ? 1 : 0;
    counts[to_string(s)] = n;
  }
  o["counts"] = std::move(counts);
  json::array findings;
  for (const Finding& f : report.findings) {
    json::object j;
    j["check"] = f.check;
    j["severity"] = to_string(f.severity);
    j["message"] = f.message;
    j["fix"] = f.fix;
    j["where"] = f.where;
    j["location"] = location_value(f);
    json::array inputs;
    for (const SeccompData& d : f.inputs) inputs.push_back(seccomp_data_json(d));
    j["inputs"] = std::move(inputs);
    findings.push_back(std::move(j));
  }
  o["findings"] = std::move(findings);
  return o;
}

std::string_view sarif_level(Severity s) {
  switch (s) {
    case Severity::kCritical:
    case Severity::kHigh: return "error";
    case Severity::kMedium: return "warning";
    case Severity::kLow:
    case Severity::kInfo: return "note";
  }
  return "note";
}

namespace {

json::object sarif_location(const Finding& f, std::string_view artifact) {
  json::object physical;
  json::object artifact_location;
  const std::string_view uri = f.location ? std::string_view{f.location->file} : artifact;
  artifact_location["uri"] = uri;
  physical["artifactLocation"] = std::move(artifact_location);
  if (f.location && f.location->line != 0) {
    json::object region;
    region["startLine"] = f.location->line;
    if (f.location->col != 0) region["startColumn"] = f.location->col;
    physical["region"] = std::move(region);
  }
  json::object location;
  location["physicalLocation"] = std::move(physical);
  return location;
}

json::object sarif_result(const Finding& f, std::string_view artifact) {
  json::object r;
  r["ruleId"] = f.check;
  r["level"] = sarif_level(f.severity);
  json::object message;
  std::string text = f.message;
  if (!f.where.empty()) text += " [" + f.where + "]";
  if (!f.fix.empty()) text += " Fix: " + f.fix;
  message["text"] = text;
  r["message"] = std::move(message);
  r["locations"] = json::array{sarif_location(f, artifact)};
  json::object properties;
  properties["severity"] = to_string(f.severity);
  r["properties"] = std::move(properties);
  return r;
}

}  // namespace

json::object to_sarif(const Report& report, std::string_view tool_version, std::string_view artifact) {
  json::array rules;
  for (const CheckInfo& c : all_checks()) {
    json::object rule;
    rule["id"] = c.id;
    json::object text;
    text["text"] = c.description;
    rule["shortDescription"] = std::move(text);
    rules.push_back(std::move(rule));
  }
  json::object driver;
  driver["name"] = "sysfence";
  driver["version"] = tool_version;
  driver["informationUri"] = kInformationUri;
  driver["rules"] = std::move(rules);
  json::object tool;
  tool["driver"] = std::move(driver);
  json::array results;
  for (const Finding& f : report.findings) results.push_back(sarif_result(f, artifact));
  json::object run;
  run["tool"] = std::move(tool);
  run["results"] = std::move(results);
  json::object log;
  log["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  log["version"] = "2.1.0";
  log["runs"] = json::array{std::move(run)};
  return log;
}

}  // namespace sysfence::audit
