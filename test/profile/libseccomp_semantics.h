// Test support: a profile resolved under libseccomp's semantics (as
// --semantics libseccomp or runc sets the options), and the policy's answer
// for one call, for the tests that pin sysfence's model of libseccomp
// 2.5.4's filters to what the real library writes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::profile::testing {

struct SemanticsChoice {
  bool libseccomp = true;  // false: sysfence's own semantics
  bool runc = false;       // runc's choices (its optimize level by names)
};

// `text` read as "s.json" and resolved for `native` (docker-default
// capabilities, kernel 6.1); a test failure where it does not resolve.
Resolution resolve_under(std::string_view text, syscalls::ArchId native, SemanticsChoice choice = {});

// The options resolve_under uses.
ResolveOptions options_under(syscalls::ArchId native, SemanticsChoice choice = {});

// The policy's action for `name` on `abi` with arguments `args`.
Action answer(const Resolution& r, syscalls::ArchId abi, std::string_view name, std::array<uint64_t, 6> args = {});

}  // namespace sysfence::profile::testing
