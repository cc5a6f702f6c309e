#include "syscalls/siblings.h"

#include <algorithm>

namespace sysfence::syscalls {

namespace {

using Names = std::span<const std::string_view>;

// Members, routes and dual-use members per family. Sources: Linux 6.12-6.15
// (the functions named in each family's `source`); the 32-bit spellings come
// from the ABIs' syscall tables (arch/*/entry/syscalls, *.tbl).
constexpr std::string_view kChmod[] = {"chmod", "fchmod", "fchmodat", "fchmodat2"};
constexpr std::string_view kChown[] = {"chown", "lchown", "fchown", "fchownat", "chown32", "lchown32", "fchown32"};
constexpr std::string_view kOpen[] = {"open", "creat", "openat", "openat2"};
constexpr std::string_view kOpenRoutes[] = {"open_by_handle_at"};
constexpr std::string_view kStat[] = {"stat",    "lstat",   "fstat", "newfstatat", "fstatat64", "stat64",
                                      "lstat64", "fstat64", "statx", "oldstat",    "oldlstat",  "oldfstat"};
constexpr std::string_view kGetxattr[] = {"getxattr", "lgetxattr", "fgetxattr", "getxattrat"};
constexpr std::string_view kSetxattr[] = {"setxattr", "lsetxattr", "fsetxattr", "setxattrat"};
constexpr std::string_view kListxattr[] = {"listxattr", "llistxattr", "flistxattr", "listxattrat"};
constexpr std::string_view kRemovexattr[] = {"removexattr", "lremovexattr", "fremovexattr", "removexattrat"};
constexpr std::string_view kRename[] = {"rename", "renameat", "renameat2"};
constexpr std::string_view kLink[] = {"link", "linkat"};
constexpr std::string_view kSymlink[] = {"symlink", "symlinkat"};
constexpr std::string_view kUnlink[] = {"unlink", "unlinkat"};
constexpr std::string_view kRmdir[] = {"rmdir"};
constexpr std::string_view kRmdirRoutes[] = {"unlinkat"};
constexpr std::string_view kMkdir[] = {"mkdir", "mkdirat"};
constexpr std::string_view kMknod[] = {"mknod", "mknodat"};
constexpr std::string_view kReadlink[] = {"readlink", "readlinkat"};
constexpr std::string_view kUtime[] = {"utime", "utimes", "futimesat", "utimensat", "utimensat_time64"};
constexpr std::string_view kAccess[] = {"access", "faccessat", "faccessat2"};
constexpr std::string_view kTruncate[] = {"truncate", "truncate64", "ftruncate", "ftruncate64"};
constexpr std::string_view kMount[] = {"mount",     "fsopen", "fsconfig",       "fsmount",      "move_mount",
                                       "open_tree", "fspick", "open_tree_attr", "mount_setattr"};
constexpr std::string_view kUmount[] = {"umount", "umount2"};
constexpr std::string_view kKexec[] = {"kexec_load", "kexec_file_load"};
constexpr std::string_view kModule[] = {"init_module", "finit_module", "create_module"};
constexpr std::string_view kTime[] = {"settimeofday", "clock_settime", "clock_settime64", "stime",
                                      "adjtimex",     "clock_adjtime", "clock_adjtime64"};
constexpr std::string_view kTimeDual[] = {"adjtimex", "clock_adjtime", "clock_adjtime64"};
constexpr std::string_view kProcessMemory[] = {"ptrace", "process_vm_readv", "process_vm_writev"};
constexpr std::string_view kProcessMemoryRoutes[] = {"pidfd_getfd"};
constexpr std::string_view kSignal[] = {
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal"};
constexpr std::string_view kFork[] = {"fork", "vfork", "clone", "clone3"};
constexpr std::string_view kWrite[] = {"write", "writev", "pwrite64", "pwritev", "pwritev2"};
constexpr std::string_view kWriteRoutes[] = {"sendfile", "sendfile64", "splice", "copy_file_range", "vmsplice"};
constexpr std::string_view kRead[] = {"read", "readv", "pread64", "preadv", "preadv2"};
constexpr std::string_view kGetdents[] = {"getdents", "getdents64", "readdir"};
constexpr std::string_view kGetcwd[] = {"getcwd"};
constexpr std::string_view kGetcwdRoutes[] = {"getdents64", "getdents", "readdir"};
constexpr std::string_view kDup[] = {"dup", "dup2", "dup3"};
constexpr std::string_view kDupRoutes[] = {"fcntl", "fcntl64"};
constexpr std::string_view kPipe[] = {"pipe", "pipe2"};
constexpr std::string_view kAccept[] = {"accept", "accept4"};
constexpr std::string_view kSend[] = {"send", "sendto", "sendmsg", "sendmmsg"};
constexpr std::string_view kRecv[] = {"recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64"};
constexpr std::string_view kWait[] = {"wait4", "waitid", "waitpid"};
constexpr std::string_view kEpollWait[] = {"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_wait_old"};
constexpr std::string_view kEpollCreate[] = {"epoll_create", "epoll_create1"};
constexpr std::string_view kSelect[] = {"select", "_newselect", "pselect6",    "pselect6_time64",
                                        "poll",   "ppoll",      "ppoll_time64"};
constexpr std::string_view kEventfd[] = {"eventfd", "eventfd2"};
constexpr std::string_view kSignalfd[] = {"signalfd", "signalfd4"};
constexpr std::string_view kInotify[] = {"inotify_init", "inotify_init1"};
constexpr std::string_view kMmap[] = {"mmap", "mmap2"};
constexpr std::string_view kStatfs[] = {"statfs", "statfs64", "fstatfs", "fstatfs64", "ustat"};
constexpr std::string_view kChdir[] = {"chdir", "fchdir"};
constexpr std::string_view kSetuid[] = {"setuid",    "setuid32",    "setreuid", "setreuid32",
                                        "setresuid", "setresuid32", "setfsuid", "setfsuid32"};
constexpr std::string_view kSetgid[] = {"setgid",    "setgid32",    "setregid", "setregid32",
                                        "setresgid", "setresgid32", "setfsgid", "setfsgid32"};
constexpr std::string_view kRlimit[] = {"setrlimit", "prlimit64"};
constexpr std::string_view kQuota[] = {"quotactl", "quotactl_fd"};
constexpr std::string_view kSeek[] = {"lseek", "_llseek", "llseek"};
constexpr std::string_view kNanosleep[] = {"nanosleep", "clock_nanosleep", "clock_nanosleep_time64"};
constexpr std::string_view kFutex[] = {"futex",      "futex_time64", "futex_waitv",
                                       "futex_wait", "futex_wake",   "futex_requeue"};
constexpr std::string_view kPriority[] = {"nice", "setpriority"};

// Spellings kept for old binaries (arch/x86/entry/syscalls/syscall_32.tbl and
// the other tables' oldest entries).
constexpr std::string_view kStatLegacy[] = {"oldstat", "oldlstat", "oldfstat"};
constexpr std::string_view kGetdentsLegacy[] = {"readdir"};
constexpr std::string_view kStatfsLegacy[] = {"ustat"};
constexpr std::string_view kPriorityLegacy[] = {"nice"};
constexpr std::string_view kModuleLegacy[] = {"create_module"};
constexpr std::string_view kWaitLegacy[] = {"waitpid"};
constexpr std::string_view kSelectLegacy[] = {"select"};
constexpr std::string_view kTimeLegacy[] = {"stime"};

constexpr Names kNone{};

constexpr SiblingFamily kFamilies[] = {
    // --- high: the mount API, modules, kexec, the clock, other processes ---
    {"mount", "mount a filesystem or change the mount tree (the classic call and the new mount API)", kMount, kNone,
     kNone, kNone, "fs/namespace.c path_mount, do_move_mount, open_tree; fs/fsopen.c fsopen, fsconfig, fspick",
     SiblingRisk::kHigh},
    {"umount", "unmount a filesystem", kUmount, kNone, kNone, kNone, "fs/namespace.c path_umount", SiblingRisk::kHigh},
    {"kexec", "load a new kernel to boot into", kKexec, kNone, kNone, kNone,
     "kernel/kexec.c kexec_load; kernel/kexec_file.c kexec_file_load", SiblingRisk::kHigh},
    {"module", "load a kernel module", kModule, kNone, kNone, kModuleLegacy,
     "kernel/module/main.c load_module (init_module, finit_module)", SiblingRisk::kHigh,
     "create_module is the pre-2.6 call, answered ENOSYS today: init_module and finit_module are the ones that load"},
    {"set-time", "set or adjust the system clock", kTime, kNone, kTimeDual, kTimeLegacy,
     "kernel/time/time.c do_settimeofday64, do_adjtimex; kernel/time/posix-timers.c clock_settime, clock_adjtime",
     SiblingRisk::kHigh,
     "adjtimex and clock_adjtime also query the clock: a filter cannot tell a query from a change, the kernel asks "
     "CAP_SYS_TIME for a change"},
    {"process-memory", "reach into another process with ptrace access (read or write its memory, take its files)",
     kProcessMemory, kProcessMemoryRoutes, kNone, kNone,
     "kernel/ptrace.c ptrace_access_vm; mm/process_vm_access.c process_vm_rw; kernel/pid.c pidfd_getfd",
     SiblingRisk::kHigh},
    // --- medium: changing files and credentials, processes and signals ---
    {"chmod", "change a file's mode bits", kChmod, kNone, kNone, kNone, "fs/open.c do_fchmodat, chmod_common",
     SiblingRisk::kMedium},
    {"chown", "change a file's owner and group", kChown, kNone, kNone, kNone, "fs/open.c do_fchownat, chown_common",
     SiblingRisk::kMedium},
    {"open", "open or create a file", kOpen, kOpenRoutes, kNone, kNone,
     "fs/open.c do_sys_openat2; fs/fhandle.c do_handle_open", SiblingRisk::kMedium},
    {"setxattr", "set an extended attribute", kSetxattr, kNone, kNone, kNone,
     "fs/xattr.c path_setxattrat, file_setxattr", SiblingRisk::kMedium},
    {"removexattr", "remove an extended attribute", kRemovexattr, kNone, kNone, kNone,
     "fs/xattr.c path_removexattrat, file_removexattr", SiblingRisk::kMedium},
    {"rename", "rename a file", kRename, kNone, kNone, kNone, "fs/namei.c do_renameat2", SiblingRisk::kMedium},
    {"link", "make a hard link", kLink, kNone, kNone, kNone, "fs/namei.c do_linkat", SiblingRisk::kMedium},
    {"symlink", "make a symbolic link", kSymlink, kNone, kNone, kNone, "fs/namei.c do_symlinkat", SiblingRisk::kMedium},
    {"unlink", "remove a file", kUnlink, kNone, kNone, kNone, "fs/namei.c do_unlinkat", SiblingRisk::kMedium},
    {"rmdir", "remove a directory (unlinkat with AT_REMOVEDIR)", kRmdir, kRmdirRoutes, kNone, kNone,
     "fs/namei.c do_rmdir", SiblingRisk::kMedium},
    {"mkdir", "make a directory", kMkdir, kNone, kNone, kNone, "fs/namei.c do_mkdirat", SiblingRisk::kMedium},
    {"mknod", "make a device node, FIFO or socket file", kMknod, kNone, kNone, kNone, "fs/namei.c do_mknodat",
     SiblingRisk::kMedium},
    {"utime", "set a file's timestamps", kUtime, kNone, kNone, kNone, "fs/utimes.c do_utimes", SiblingRisk::kMedium},
    {"truncate", "change a file's size", kTruncate, kNone, kNone, kNone, "fs/open.c do_sys_truncate, do_sys_ftruncate",
     SiblingRisk::kMedium},
    {"setuid", "change the user ids", kSetuid, kNone, kNone, kNone,
     "kernel/sys.c __sys_setuid, __sys_setreuid, __sys_setresuid, __sys_setfsuid", SiblingRisk::kMedium},
    {"setgid", "change the group ids", kSetgid, kNone, kNone, kNone,
     "kernel/sys.c __sys_setgid, __sys_setregid, __sys_setresgid, __sys_setfsgid", SiblingRisk::kMedium},
    {"setrlimit", "change resource limits (prlimit64 also another process's)", kRlimit, kNone, kNone, kNone,
     "kernel/sys.c do_prlimit", SiblingRisk::kMedium},
    {"quotactl", "manage disk quotas", kQuota, kNone, kNone, kNone, "fs/quota/quota.c", SiblingRisk::kMedium},
    {"signal", "send a signal to another process or thread", kSignal, kNone, kNone, kNone,
     "kernel/signal.c kill_something_info, do_tkill, do_rt_sigqueueinfo, pidfd_send_signal", SiblingRisk::kMedium},
    {"fork", "create a process or thread", kFork, kNone, kNone, kNone, "kernel/fork.c kernel_clone",
     SiblingRisk::kMedium},
    // --- low: reading, waiting, descriptors ---
    {"write", "write data to a file descriptor", kWrite, kWriteRoutes, kNone, kNone,
     "fs/read_write.c vfs_write, vfs_writev; fs/splice.c; fs/read_write.c do_sendfile, vfs_copy_file_range",
     SiblingRisk::kLow},
    {"read", "read data from a file descriptor", kRead, kNone, kNone, kNone, "fs/read_write.c vfs_read, vfs_readv",
     SiblingRisk::kLow},
    {"stat", "read a file's status", kStat, kNone, kNone, kStatLegacy, "fs/stat.c vfs_statx, vfs_fstat",
     SiblingRisk::kLow},
    {"getxattr", "read an extended attribute", kGetxattr, kNone, kNone, kNone, "fs/xattr.c path_getxattrat",
     SiblingRisk::kLow},
    {"listxattr", "list extended attributes", kListxattr, kNone, kNone, kNone, "fs/xattr.c path_listxattrat",
     SiblingRisk::kLow},
    {"readlink", "read a symbolic link", kReadlink, kNone, kNone, kNone, "fs/stat.c do_readlinkat", SiblingRisk::kLow},
    {"access", "check file permissions", kAccess, kNone, kNone, kNone, "fs/open.c do_faccessat", SiblingRisk::kLow},
    {"getdents", "list a directory", kGetdents, kNone, kNone, kGetdentsLegacy, "fs/readdir.c iterate_dir",
     SiblingRisk::kLow},
    {"getcwd", "learn the working directory", kGetcwd, kGetcwdRoutes, kNone, kNone,
     "fs/d_path.c getcwd; fs/readdir.c iterate_dir", SiblingRisk::kLow,
     "no other syscall returns it, but a process finds it by walking `..`: open the parent, list it, match the "
     "inode stat returns, as /bin/pwd does when getcwd fails",
     "the working directory cannot be hidden by a filter from a process that can list directories: allow getcwd, "
     "or hide the path with a mount namespace or chroot"},
    {"statfs", "read filesystem statistics", kStatfs, kNone, kNone, kStatfsLegacy, "fs/statfs.c user_statfs, fd_statfs",
     SiblingRisk::kLow},
    {"chdir", "change the working directory", kChdir, kNone, kNone, kNone, "fs/open.c chdir, fchdir",
     SiblingRisk::kLow},
    {"dup", "duplicate a file descriptor (fcntl F_DUPFD too)", kDup, kDupRoutes, kNone, kNone,
     "fs/file.c ksys_dup3, f_dupfd", SiblingRisk::kLow},
    {"pipe", "create a pipe", kPipe, kNone, kNone, kNone, "fs/pipe.c do_pipe2", SiblingRisk::kLow},
    {"accept", "accept a connection", kAccept, kNone, kNone, kNone, "net/socket.c __sys_accept4", SiblingRisk::kLow},
    {"send", "send on a socket", kSend, kNone, kNone, kNone, "net/socket.c __sys_sendto, __sys_sendmsg",
     SiblingRisk::kLow},
    {"recv", "receive from a socket", kRecv, kNone, kNone, kNone, "net/socket.c __sys_recvfrom, __sys_recvmsg",
     SiblingRisk::kLow},
    {"wait", "wait for a child process", kWait, kNone, kNone, kWaitLegacy, "kernel/exit.c kernel_wait4, kernel_waitid",
     SiblingRisk::kLow},
    {"epoll-wait", "wait for epoll events", kEpollWait, kNone, kNone, kNone, "fs/eventpoll.c do_epoll_wait",
     SiblingRisk::kLow},
    {"epoll-create", "create an epoll instance", kEpollCreate, kNone, kNone, kNone, "fs/eventpoll.c do_epoll_create",
     SiblingRisk::kLow},
    {"poll", "wait for file descriptors to become ready", kSelect, kNone, kNone, kSelectLegacy,
     "fs/select.c core_sys_select, do_sys_poll", SiblingRisk::kLow},
    {"eventfd", "create an eventfd", kEventfd, kNone, kNone, kNone, "fs/eventfd.c do_eventfd", SiblingRisk::kLow},
    {"signalfd", "create a signalfd", kSignalfd, kNone, kNone, kNone, "fs/signalfd.c do_signalfd4", SiblingRisk::kLow},
    {"inotify-init", "create an inotify instance", kInotify, kNone, kNone, kNone, "fs/notify/inotify/inotify_user.c",
     SiblingRisk::kLow},
    {"mmap", "map memory or a file", kMmap, kNone, kNone, kNone, "mm/mmap.c ksys_mmap_pgoff", SiblingRisk::kLow},
    {"lseek", "move a file offset", kSeek, kNone, kNone, kNone, "fs/read_write.c vfs_llseek", SiblingRisk::kLow},
    {"sleep", "sleep", kNanosleep, kNone, kNone, kNone, "kernel/time/hrtimer.c hrtimer_nanosleep", SiblingRisk::kLow},
    {"futex", "wait on or wake a futex", kFutex, kNone, kNone, kNone, "kernel/futex/syscalls.c", SiblingRisk::kLow},
    {"priority", "change scheduling priority", kPriority, kNone, kNone, kPriorityLegacy, "kernel/sys.c set_one_prio",
     SiblingRisk::kLow},
};

bool contains(Names names, std::string_view name) { return std::find(names.begin(), names.end(), name) != names.end(); }

// io_uring/opdef.c (Linux 6.12): the opcodes that do a syscall's work.
constexpr std::string_view kUringRead[] = {"read", "readv", "pread64", "preadv", "preadv2"};
constexpr std::string_view kUringWrite[] = {"write", "writev", "pwrite64", "pwritev", "pwritev2"};
constexpr std::string_view kUringOpen[] = {"openat", "openat2", "open", "creat"};
constexpr std::string_view kUringClose[] = {"close"};
constexpr std::string_view kUringStatx[] = {"statx"};
constexpr std::string_view kUringFsync[] = {"fsync", "fdatasync", "sync_file_range"};
constexpr std::string_view kUringFallocate[] = {"fallocate"};
constexpr std::string_view kUringFadvise[] = {"fadvise64", "fadvise64_64", "madvise"};
constexpr std::string_view kUringSplice[] = {"splice", "tee"};
constexpr std::string_view kUringSend[] = {"sendmsg", "sendto", "send"};
constexpr std::string_view kUringRecv[] = {"recvmsg", "recvfrom", "recv"};
constexpr std::string_view kUringAccept[] = {"accept", "accept4"};
constexpr std::string_view kUringConnect[] = {"connect"};
constexpr std::string_view kUringSocket[] = {"socket"};
constexpr std::string_view kUringBind[] = {"bind"};
constexpr std::string_view kUringListen[] = {"listen"};
constexpr std::string_view kUringShutdown[] = {"shutdown"};
constexpr std::string_view kUringRename[] = {"renameat", "renameat2", "rename"};
constexpr std::string_view kUringUnlink[] = {"unlinkat", "unlink", "rmdir"};
constexpr std::string_view kUringMkdir[] = {"mkdirat", "mkdir"};
constexpr std::string_view kUringSymlink[] = {"symlinkat", "symlink"};
constexpr std::string_view kUringLink[] = {"linkat", "link"};
constexpr std::string_view kUringXattr[] = {"setxattr", "fsetxattr", "getxattr", "fgetxattr"};
constexpr std::string_view kUringEpoll[] = {"epoll_ctl"};
constexpr std::string_view kUringFutex[] = {"futex", "futex_waitv"};
constexpr std::string_view kUringWaitid[] = {"waitid"};
constexpr std::string_view kUringFtruncate[] = {"ftruncate"};
constexpr std::string_view kUringPoll[] = {"poll", "ppoll"};

constexpr IoUringOp kUringOps[] = {
    {"IORING_OP_READ, READV, READ_FIXED", kUringRead},
    {"IORING_OP_WRITE, WRITEV, WRITE_FIXED", kUringWrite},
    {"IORING_OP_OPENAT, OPENAT2", kUringOpen},
    {"IORING_OP_CLOSE", kUringClose},
    {"IORING_OP_STATX", kUringStatx},
    {"IORING_OP_FSYNC, SYNC_FILE_RANGE", kUringFsync},
    {"IORING_OP_FALLOCATE", kUringFallocate},
    {"IORING_OP_FADVISE, MADVISE", kUringFadvise},
    {"IORING_OP_SPLICE, TEE", kUringSplice},
    {"IORING_OP_SEND, SENDMSG, SEND_ZC, SENDMSG_ZC", kUringSend},
    {"IORING_OP_RECV, RECVMSG", kUringRecv},
    {"IORING_OP_ACCEPT", kUringAccept},
    {"IORING_OP_CONNECT", kUringConnect},
    {"IORING_OP_SOCKET", kUringSocket},
    {"IORING_OP_BIND", kUringBind},
    {"IORING_OP_LISTEN", kUringListen},
    {"IORING_OP_SHUTDOWN", kUringShutdown},
    {"IORING_OP_RENAMEAT", kUringRename},
    {"IORING_OP_UNLINKAT", kUringUnlink},
    {"IORING_OP_MKDIRAT", kUringMkdir},
    {"IORING_OP_SYMLINKAT", kUringSymlink},
    {"IORING_OP_LINKAT", kUringLink},
    {"IORING_OP_SETXATTR, FSETXATTR, GETXATTR, FGETXATTR", kUringXattr},
    {"IORING_OP_EPOLL_CTL", kUringEpoll},
    {"IORING_OP_FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAITV", kUringFutex},
    {"IORING_OP_WAITID", kUringWaitid},
    {"IORING_OP_FTRUNCATE", kUringFtruncate},
    {"IORING_OP_POLL_ADD", kUringPoll},
};

constexpr std::string_view kUringSyscalls[] = {"io_uring_setup", "io_uring_enter", "io_uring_register"};

}  // namespace

std::span<const SiblingFamily> sibling_families() { return kFamilies; }

bool is_member(const SiblingFamily& f, std::string_view name) { return contains(f.members, name); }
bool is_route(const SiblingFamily& f, std::string_view name) { return contains(f.routes, name); }
bool is_dual_use(const SiblingFamily& f, std::string_view name) { return contains(f.dual_use, name); }
bool is_legacy(const SiblingFamily& f, std::string_view name) { return contains(f.legacy, name); }

namespace {

constexpr std::string_view kDescriptorOnly[] = {
    "fchmod",       "fchown",    "fchown32",  "fstat",       "fstat64",   "oldfstat", "fgetxattr", "fsetxattr",
    "flistxattr",   "fremovexattr", "ftruncate", "ftruncate64", "fstatfs", "fstatfs64", "fchdir",  "quotactl_fd"};
constexpr std::string_view kFileOpeners[] = {"open", "creat", "openat", "openat2", "open_by_handle_at"};

}  // namespace

bool is_descriptor_only(std::string_view name) {
  return std::find(std::begin(kDescriptorOnly), std::end(kDescriptorOnly), name) != std::end(kDescriptorOnly);
}

std::span<const std::string_view> file_openers() { return kFileOpeners; }

std::vector<const SiblingFamily*> families_of(std::string_view name) {
  std::vector<const SiblingFamily*> out;
  for (const SiblingFamily& f : kFamilies)
    if (is_member(f, name) || is_route(f, name)) out.push_back(&f);
  return out;
}

std::span<const IoUringOp> io_uring_ops() { return kUringOps; }
std::span<const std::string_view> io_uring_syscalls() { return kUringSyscalls; }

}  // namespace sysfence::syscalls
