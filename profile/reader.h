// Reading seccomp profiles: Docker/moby (modern "names" and legacy "name"),
// the containers-common flavour ("errno"/"defaultErrno" names) and OCI
// runtime-spec `linux.seccomp`, also inside a whole OCI config.json.
//
// Field matching follows Go's encoding/json, which Docker, runc and Podman
// use: an exact key match, else an ASCII case-insensitive one; unknown fields
// are ignored; for a repeated key the last one wins; null leaves a field
// unset. Each of those is reported in ReadResult::strict_findings so that
// `--strict` can list them.
//
// Errors name the position and the JSON pointer of the offending value:
//   profile.json:12:5: invalid JSON: unexpected character '}'
//   profile.json:40:17: /syscalls/12/args/0/op: unknown operator "SCMP_CMP_EQQ" (did you mean "SCMP_CMP_EQ"?)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "profile/json_doc.h"
#include "profile/profile.h"

namespace sysfence::profile {

struct ReadOptions {
  JsonLimits limits;
  // Turn strict findings (unknown fields, keys matched only case-
  // insensitively, repeated keys, entries without names) into an error that
  // lists all of them.
  bool strict = false;
};

struct ReadResult {
  Profile profile;
  // "file:line:col: /syscalls/3/comments: unknown field \"comments\" (ignored; did you mean \"comment\"?)",
  // in document order.
  std::vector<std::string> strict_findings;
};

// `source` names the input in messages and SourceRefs ("default", a path,
// "<stdin>").
Expected<ReadResult> read_profile(std::string_view text, std::string_view source, const ReadOptions& options = {});

}  // namespace sysfence::profile
