// The profile-resolution flags every command that resolves a profile takes
// (--caps, --kernel, --unknown-syscalls, --arg-width, --bad-arch,
// --semantics; see profile/load.h), read from parsed arguments in one place
// so that a new flag is one edit, not one per command.
#pragma once

#include <string>

#include "profile/load.h"
#include "tools/cli/args.h"

namespace sysfence::cli {

// `arch` is the native arch as the command settled it (a name, or nullopt
// for the host's).
profile::ResolveFlags resolve_flags(const ParsedArgs& parsed, std::optional<std::string> arch);

}  // namespace sysfence::cli
