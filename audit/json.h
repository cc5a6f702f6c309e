// `sysfence audit --format json` and `--format sarif`: the report as data.
// JSON follows base/json.h's conventions (docs/json.md); SARIF 2.1.0 gives
// one result per finding, located at the profile's file:line:col of the
// finding's rule (or at the audited file when no rule is known), so that CI
// systems show findings inline.
#pragma once

#include <boost/json.hpp>
#include <string_view>

#include "audit/finding.h"

namespace sysfence::audit {

// {"scope": [...], "counts": {"critical": N, ..., "info": N}, "findings":
//  [{"check", "severity", "message", "fix", "where", "location", "inputs"}]}
boost::json::object to_json(const Report& report);

// The project page SARIF's tool.driver.informationUri names.
inline constexpr std::string_view kInformationUri = "https://github.com/sysfence/sysfence";

// A whole SARIF 2.1.0 log. `artifact` is the audited file (the profile, or
// the raw filter of --bpf): findings without a profile position point at it.
boost::json::object to_sarif(const Report& report, std::string_view tool_version, std::string_view artifact);

// SARIF's level for a severity: critical and high "error", medium
// "warning", low and info "note".
std::string_view sarif_level(Severity s);

}  // namespace sysfence::audit
