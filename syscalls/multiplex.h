// The socket and SysV IPC calls that some ABIs also reach through a
// multiplexer: socketcall(call, args) and ipc(call, first, second, third,
// ptr, fifth). A hand-kept fact table (the call numbers are kernel uapi
// constants, not part of the generated syscall tables); multiplex.cc names
// the sources. Which ABIs have the multiplexers is read from the generated
// tables (Arch::has_socketcall / has_ipc), never written down here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "syscalls/arch.h"

namespace sysfence::syscalls {

enum class Multiplexer : uint8_t { kSocketcall, kIpc };

// One call a multiplexer dispatches: the direct syscall's name, the
// multiplexer, and the value of its first argument that selects the call.
struct MultiplexedCall {
  std::string_view name;      // "socket", "shmget"
  Multiplexer via;            // kSocketcall or kIpc
  uint32_t call;              // SYS_SOCKET = 1, SHMGET = 23, ...
  std::string_view constant;  // "SYS_SOCKET", "SHMGET": the uapi spelling
};

// The 20 socketcall calls (SYS_SOCKET .. SYS_SENDMMSG) and the 12 ipc calls
// (SEMOP .. SHMCTL), in call-number order, socketcall first.
std::span<const MultiplexedCall> multiplexed_calls();

// The entry for a direct syscall's name; nullptr when no multiplexer
// dispatches it.
const MultiplexedCall* multiplexed_call(std::string_view name);

// "socketcall" / "ipc".
std::string_view multiplexer_name(Multiplexer m);

// seccomp_data.nr of the multiplexer on `abi`; nullopt where the ABI's
// kernel table has no such entry (x86_64, aarch64, arm EABI, ...).
std::optional<uint32_t> multiplexer_number(ArchId abi, Multiplexer m);

// The bits of the multiplexer's first argument the kernel compares with the
// call number: socketcall rejects anything but 1..20 outright, while
// ipc(2) dispatches on call & 0xffff (the upper 16 bits are a "version"
// that most calls ignore), so ipc(0x10017, ...) is shmget too.
uint64_t multiplexer_call_mask(Multiplexer m);

}  // namespace sysfence::syscalls
