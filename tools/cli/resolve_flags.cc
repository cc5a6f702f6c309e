#include "tools/cli/resolve_flags.h"

#include <utility>

namespace sysfence::cli {

profile::ResolveFlags resolve_flags(const ParsedArgs& parsed, std::optional<std::string> arch) {
  profile::ResolveFlags flags;
  flags.arch = std::move(arch);
  flags.caps = parsed.get("caps");
  flags.kernel = parsed.get("kernel");
  flags.unknown_syscalls = parsed.get("unknown-syscalls");
  flags.arg_width = parsed.get("arg-width");
  flags.bad_arch = parsed.get("bad-arch");
  flags.semantics = parsed.get("semantics");
  flags.strict = parsed.has("strict");
  return flags;
}

}  // namespace sysfence::cli
