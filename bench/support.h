// What every benchmark in bench/ measures against: the two real profiles
// (Docker's default and containers-common's, embedded byte for byte from
// profile/data/), five architectures (x86_64, aarch64, riscv64, mips64el,
// ppc64le: both byte orders, 32- and 64-bit sub-ABIs), and the resolution
// settings the performance targets are stated for (Docker's 14 default
// capabilities, kernel 6.1).
#pragma once

#include <span>
#include <string_view>

#include "base/expected.h"
#include "compiler/compile.h"
#include "policy/policy.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::bench {

struct RealProfile {
  std::string_view name;  // "docker-default", "containers-common"
  std::string_view json;  // the document, as shipped
};

// Docker's default profile first (the one the performance targets are about).
std::span<const RealProfile> real_profiles();

// x86_64, aarch64, riscv64, mips64el, ppc64le — each compiled as one program
// with its default sub-architectures (x86_64 + i386 + x32, aarch64 + arm, ...)
// as the profile's archMap lists them.
std::span<const syscalls::ArchId> bench_arches();

// Docker's default capabilities, kernel 6.1, everything else the default.
profile::ResolveOptions resolve_options(syscalls::ArchId native);

// Parse + resolve; the error names the profile and arch.
Expected<policy::Policy> resolve_policy(const RealProfile& p, syscalls::ArchId native);

// Docker's default profile for `native` (for x86_64: x86_64 + i386 + x32 in
// one program) compiled with `options` — the filter the kernel and
// interpreter benchmarks run.
Expected<compiler::Compiled> compile_docker_default(syscalls::ArchId native, const compiler::CompileOptions& options);

}  // namespace sysfence::bench
