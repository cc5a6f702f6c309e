// Sibling syscalls: families of system calls that reach the same kernel
// operation under different names (chmod, fchmod, fchmodat, fchmodat2 all end
// in fs/open.c chmod_common). A rule that denies one member while another is
// allowed stops the name, not the operation: `sysfence audit` reports such
// routes (sibling-route) and `sysfence explain` lists a syscall's siblings.
//
// The table is hand-kept from the kernel sources named in each family's
// `source`; names are machine-independent (every spelling any ABI has:
// chown32, fstatat64, *_time64, ...). test/syscalls checks that every name
// is in at least one ABI's generated table.
//
// Also here: what io_uring's opcodes perform, as the syscalls that do the same
// (io_uring/opdef.c), for the io-uring audit check.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sysfence::syscalls {

// How much a route around a rule on the family matters (the audit's
// severity: kHigh -> high, kMedium -> medium, kLow -> low). The audit also
// reads a member's omission from an allowlist as "meant to be stopped" only
// in kHigh families, and a legacy member's denial only there.
enum class SiblingRisk : uint8_t { kLow, kMedium, kHigh };

struct SiblingFamily {
  std::string_view id;         // "chmod": stable, short
  std::string_view operation;  // the kernel operation in words
  // The spellings of the operation: denying any of them while another
  // member or a route is allowed leaves the operation open.
  std::span<const std::string_view> members;
  // Calls that also perform the operation but whose own denial does not
  // mean the operation was meant to be stopped (sendfile writes, but a
  // profile denying sendfile does not mean "no writes").
  std::span<const std::string_view> routes;
  // Members that both query and change (adjtimex, clock_adjtime): the mode is
  // in user memory, so a filter cannot allow the query alone, and profiles
  // allow them for the query and leave the change to a capability. Such a
  // member being allowed is not reported as a route.
  std::span<const std::string_view> dual_use;
  // Members the kernel keeps for old binaries (oldstat, readdir, ustat,
  // create_module): profiles deny them to retire the spelling, not the
  // operation (containers-common's blocklist names ustat and oldstat).
  std::span<const std::string_view> legacy;
  std::string_view source;  // where the kernel implements it
  SiblingRisk risk;
  // Said after the operation when a route is reported (may be empty).
  std::string_view note = {};
  // The fix when "deny the siblings as well" is not one (may be empty).
  std::string_view fix = {};
};

std::span<const SiblingFamily> sibling_families();

// The families `name` is a member or a route of (usually one).
std::vector<const SiblingFamily*> families_of(std::string_view name);

bool is_member(const SiblingFamily& f, std::string_view name);
bool is_route(const SiblingFamily& f, std::string_view name);
bool is_dual_use(const SiblingFamily& f, std::string_view name);
bool is_legacy(const SiblingFamily& f, std::string_view name);

// Members that act only on a file descriptor the caller already holds
// (fchmod, ftruncate, fstat, fchdir, ...), where their siblings name any path.
// Allowing them while denying the path members reaches the operation only on
// files the process can open: a sandbox that brokers its opens (Chromium's
// renderer resizes its own shared memory with ftruncate, denies truncate,
// open and openat) has no route there. The audit counts them as a route only
// where the filter lets the process open files.
bool is_descriptor_only(std::string_view name);
// The syscalls that open a file by path (or handle): what makes the
// descriptor-only members a route.
std::span<const std::string_view> file_openers();

// One io_uring opcode (IORING_OP_*) and the syscalls whose work it does
// without the kernel running a seccomp filter on it.
struct IoUringOp {
  std::string_view opcode;                  // "IORING_OP_OPENAT"
  std::span<const std::string_view> calls;  // "openat", "open", ...
};
std::span<const IoUringOp> io_uring_ops();
// The syscalls of io_uring's own interface.
std::span<const std::string_view> io_uring_syscalls();

}  // namespace sysfence::syscalls
