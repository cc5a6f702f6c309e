#include "syscalls/multiplex.h"

#include <algorithm>
#include <array>

#include "syscalls/table.h"

namespace sysfence::syscalls {

namespace {

// Sources (Linux 6.12):
//  - include/uapi/linux/net.h: SYS_SOCKET 1 .. SYS_SENDMMSG 20, dispatched by
//    net/socket.c SYSCALL_DEFINE2(socketcall), which returns -EINVAL for any
//    other call value;
//  - include/uapi/linux/ipc.h: SEMOP 1, SEMGET 2, SEMCTL 3, SEMTIMEDOP 4,
//    MSGSND 11, MSGRCV 12, MSGGET 13, MSGCTL 14, SHMAT 21, SHMDT 22,
//    SHMGET 23, SHMCTL 24, dispatched by ipc/syscall.c ksys_ipc() and
//    compat_ksys_ipc() on call & 0xffff (version = call >> 16).
// libseccomp (src/arch-x86.c, arch-s390*.c, arch-ppc*.c, arch-mips.c) maps
// its pseudo syscalls -101..-120 and -201..-224 to the same values.
constexpr std::array<MultiplexedCall, 32> kCalls{{
    {"socket", Multiplexer::kSocketcall, 1, "SYS_SOCKET"},
    {"bind", Multiplexer::kSocketcall, 2, "SYS_BIND"},
    {"connect", Multiplexer::kSocketcall, 3, "SYS_CONNECT"},
    {"listen", Multiplexer::kSocketcall, 4, "SYS_LISTEN"},
    {"accept", Multiplexer::kSocketcall, 5, "SYS_ACCEPT"},
    {"getsockname", Multiplexer::kSocketcall, 6, "SYS_GETSOCKNAME"},
    {"getpeername", Multiplexer::kSocketcall, 7, "SYS_GETPEERNAME"},
    {"socketpair", Multiplexer::kSocketcall, 8, "SYS_SOCKETPAIR"},
    {"send", Multiplexer::kSocketcall, 9, "SYS_SEND"},
    {"recv", Multiplexer::kSocketcall, 10, "SYS_RECV"},
    {"sendto", Multiplexer::kSocketcall, 11, "SYS_SENDTO"},
    {"recvfrom", Multiplexer::kSocketcall, 12, "SYS_RECVFROM"},
    {"shutdown", Multiplexer::kSocketcall, 13, "SYS_SHUTDOWN"},
    {"setsockopt", Multiplexer::kSocketcall, 14, "SYS_SETSOCKOPT"},
    {"getsockopt", Multiplexer::kSocketcall, 15, "SYS_GETSOCKOPT"},
    {"sendmsg", Multiplexer::kSocketcall, 16, "SYS_SENDMSG"},
    {"recvmsg", Multiplexer::kSocketcall, 17, "SYS_RECVMSG"},
    {"accept4", Multiplexer::kSocketcall, 18, "SYS_ACCEPT4"},
    {"recvmmsg", Multiplexer::kSocketcall, 19, "SYS_RECVMMSG"},
    {"sendmmsg", Multiplexer::kSocketcall, 20, "SYS_SENDMMSG"},
    {"semop", Multiplexer::kIpc, 1, "SEMOP"},
    {"semget", Multiplexer::kIpc, 2, "SEMGET"},
    {"semctl", Multiplexer::kIpc, 3, "SEMCTL"},
    {"semtimedop", Multiplexer::kIpc, 4, "SEMTIMEDOP"},
    {"msgsnd", Multiplexer::kIpc, 11, "MSGSND"},
    {"msgrcv", Multiplexer::kIpc, 12, "MSGRCV"},
    {"msgget", Multiplexer::kIpc, 13, "MSGGET"},
    {"msgctl", Multiplexer::kIpc, 14, "MSGCTL"},
    {"shmat", Multiplexer::kIpc, 21, "SHMAT"},
    {"shmdt", Multiplexer::kIpc, 22, "SHMDT"},
    {"shmget", Multiplexer::kIpc, 23, "SHMGET"},
    {"shmctl", Multiplexer::kIpc, 24, "SHMCTL"},
}};

}  // namespace

std::span<const MultiplexedCall> multiplexed_calls() { return kCalls; }

const MultiplexedCall* multiplexed_call(std::string_view name) {
  const auto it = std::find_if(kCalls.begin(), kCalls.end(), [&](const MultiplexedCall& c) { return c.name == name; });
  return it == kCalls.end() ? nullptr : &*it;
}

std::string_view multiplexer_name(Multiplexer m) { return m == Multiplexer::kSocketcall ? "socketcall" : "ipc"; }

std::optional<uint32_t> multiplexer_number(ArchId abi, Multiplexer m) {
  const Arch& a = arch(abi);
  if (!(m == Multiplexer::kSocketcall ? a.has_socketcall : a.has_ipc)) return std::nullopt;
  return table(abi).number(multiplexer_name(m));
}

uint64_t multiplexer_call_mask(Multiplexer m) { return m == Multiplexer::kIpc ? 0xffff : ~uint64_t{0}; }

}  // namespace sysfence::syscalls
