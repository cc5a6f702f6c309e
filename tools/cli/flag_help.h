// Descriptions of the flags several commands share, for `sysfence COMMAND
// --help`, so that every command says the same about them.
#pragma once

#include <string_view>

namespace sysfence::cli::help {

inline constexpr std::string_view kArch = "the ABI: x86_64, aarch64, SCMP_ARCH_ARM, amd64, ... or native (the default)";
inline constexpr std::string_view kArchList =
    "the native ABI (default: native); its sub-arches come from the profile's archMap, a comma list keeps only "
    "the ABIs listed";
inline constexpr std::string_view kCaps =
    "the container's capabilities: docker-default (the default), all, none or a list such as "
    "docker-default,CAP_SYS_ADMIN";
inline constexpr std::string_view kKernel =
    "the target kernel: what minKernel rules compare with, which actions the filter may use and which calls the "
    "kernel runs no filter for (default: the running one)";
inline constexpr std::string_view kDowngradeActions =
    "map actions the target kernel lacks, e.g. log=allow,kill-process=kill-thread,user-notif=errno (TO as "
    "--bad-arch spells it)";
inline constexpr std::string_view kUnknownSyscalls =
    "syscalls newer than the profile get ENOSYS (enosys) or the default action (default); unset, as runc: ENOSYS "
    "on the ABIs the profile's architectures list when its default action denies, the default action elsewhere";
inline constexpr std::string_view kArgWidth =
    "compare arguments the kernel reads as 32 bits on their low word (abi, the default) or all 64 bits as "
    "libseccomp (64)";
inline constexpr std::string_view kBadArch =
    "what an architecture the filter does not handle gets: kill-process (the default), kill-thread, trap, "
    "errno[:N], log or allow";
inline constexpr std::string_view kSemantics =
    "answer as a filter runc or libseccomp builds (64-bit arguments, kill-thread, runc's ENOSYS stub or none, "
    "libseccomp's socketcall/ipc rewrite, libseccomp's rule database), or as sysfence's own (its defaults, as "
    "without the flag)";
inline constexpr std::string_view kMultiplex =
    "socket/IPC rules on socketcall and ipc (i386, ppc, s390, MIPS o32, ...): exact (unconditional rules only, the "
    "default) or libseccomp (every rule, argument 0 replaced by the call number)";
inline constexpr std::string_view kLibseccompOptimize =
    "the optimize level libseccomp wrote the filter at, for --semantics runc|libseccomp: 1 (libseccomp's default, "
    "syscalls in priority order) or 2 (a binary tree by number, as systemd asks; runc asks above 32 syscall "
    "names); default: libseccomp's 1, runc's choice";
inline constexpr std::string_view kRuleCombination =
    "when several rules of a syscall match: the most restrictive wins (most-restrictive, the default) or "
    "libseccomp's database decides in profile order (libseccomp: the first unconditional rule wins)";
inline constexpr std::string_view kStrict =
    "unknown fields in the profile and syscall names no architecture knows are errors (exit 2), not warnings";
inline constexpr std::string_view kRawEndian = "byte order of the raw filter (default: the arch's)";
inline constexpr std::string_view kWeights =
    "what the search tree is optimal for: every number alike (uniform, the default), a built-in table of hot "
    "syscalls, or a file: strace -c's output as it is, or `name count` lines";
inline constexpr std::string_view kStrategy =
    "tree shape: optimal (the default), balanced or linear (libseccomp's optimize=2 and =1)";
inline constexpr std::string_view kBpf =
    "a raw filter (struct sock_filter[]) instead of a profile; - for stdin; repeat for a filter stack (the first is "
    "the oldest), or a dump directory (filter-0.bpf = the oldest)";
inline constexpr std::string_view kBpfStack =
    "a raw filter (struct sock_filter[]); - for stdin; repeat for a filter stack (the first is the oldest), or a "
    "dump directory (filter-0.bpf = the oldest)";
inline constexpr std::string_view kPid =
    "the filters the running process PID enforces, read now (as `sysfence dump --pid`; needs CAP_SYS_ADMIN), "
    "instead of --bpf; several are a filter stack";
inline constexpr std::string_view kProfile =
    "default (Docker's, built in), a Docker/containers-common/OCI JSON file, or - for stdin";
inline constexpr std::string_view kFormat =
    "text (the default) or json: one document with a schema \"version\" field (docs/json.md)";
inline constexpr std::string_view kOutput =
    "write to FILE instead of stdout: a file is replaced atomically (mode and owner kept), a symlink is followed, "
    "a device or FIFO is written through";
inline constexpr std::string_view kCName =
    "the C header's identifier: the array, NAME_prog, NAME_H and sysfence_install_<NAME without sysfence_> "
    "(default: sysfence_ and the file name without its extension, e.g. sysfence_my_app_v2)";
inline constexpr std::string_view kEnosysNewer =
    "syscalls newer than the --kernel target answer ENOSYS, as that kernel would, instead of the profile's denial, "
    "trap or kill";
inline constexpr std::string_view kInstallFlags =
    "seccomp(2) flags the C header's installer passes (--format c only): tsync (3.17), log (4.14), spec-allow (4.17), "
    "new-listener "
    "(5.0), tsync-esrch (5.7), wait-killable-recv (5.19); each must be in the target kernel (default: compile's "
    "header the profile's own \"flags\", as run installs them; asm's none)";

}  // namespace sysfence::cli::help
