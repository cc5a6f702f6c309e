// The multiplexed-call fact table against the generated kernel tables and
// against facts written here by hand from include/uapi/linux/net.h,
// include/uapi/linux/ipc.h and the kernels' syscall tables.
#include "syscalls/multiplex.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

TEST(Multiplex, EveryNameIsASyscallOfSomeAbi) {
  for (const MultiplexedCall& c : multiplexed_calls()) EXPECT_NE(numbers_by_name(c.name), nullptr) << c.name;
}

TEST(Multiplex, CallNumbersAreTheUapiConstants) {
  // net.h: SYS_SOCKET 1 ... SYS_SENDMMSG 20; ipc.h: SEMOP 1 ... SHMCTL 24.
  const std::pair<const char*, uint32_t> expected[] = {
      {"socket", 1},      {"bind", 2},        {"connect", 3},     {"listen", 4},   {"accept", 5},   {"getsockname", 6},
      {"getpeername", 7}, {"socketpair", 8},  {"send", 9},        {"recv", 10},    {"sendto", 11},  {"recvfrom", 12},
      {"shutdown", 13},   {"setsockopt", 14}, {"getsockopt", 15}, {"sendmsg", 16}, {"recvmsg", 17}, {"accept4", 18},
      {"recvmmsg", 19},   {"sendmmsg", 20},   {"semop", 1},       {"semget", 2},   {"semctl", 3},   {"semtimedop", 4},
      {"msgsnd", 11},     {"msgrcv", 12},     {"msgget", 13},     {"msgctl", 14},  {"shmat", 21},   {"shmdt", 22},
      {"shmget", 23},     {"shmctl", 24}};
  EXPECT_EQ(multiplexed_calls().size(), std::size(expected));
  for (const auto& [name, call] : expected) {
    const MultiplexedCall* c = multiplexed_call(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->call, call) << name;
    EXPECT_EQ(c->via, std::string(name).starts_with("sem") || std::string(name).starts_with("msg") ||
                              std::string(name).starts_with("shm")
                          ? Multiplexer::kIpc
                          : Multiplexer::kSocketcall)
        << name;
  }
  EXPECT_EQ(multiplexed_call("socketcall"), nullptr);
  EXPECT_EQ(multiplexed_call("read"), nullptr);
  EXPECT_EQ(multiplexed_call("shmget")->constant, "SHMGET");
  EXPECT_EQ(multiplexed_call("sendmmsg")->constant, "SYS_SENDMMSG");
}

TEST(Multiplex, TheAbisThatMultiplex) {
  // Linux 6.12: socketcall and ipc exist on exactly these seccomp ABIs (arm
  // EABI, x86_64, x32, the 64-bit MIPS ABIs and the asm-generic ones have
  // neither).
  const std::set<ArchId> both{ArchId::kI386,  ArchId::kM68k,  ArchId::kMips,    ArchId::kMipsel,
                              ArchId::kPpc,   ArchId::kPpc64, ArchId::kPpc64le, ArchId::kS390,
                              ArchId::kS390x, ArchId::kSh,    ArchId::kSheb};
  for (const Arch& a : all_arches()) {
    const bool expect = both.contains(a.id);
    EXPECT_EQ(multiplexer_number(a.id, Multiplexer::kSocketcall).has_value(), expect) << a.name;
    EXPECT_EQ(multiplexer_number(a.id, Multiplexer::kIpc).has_value(), expect) << a.name;
  }
  EXPECT_EQ(multiplexer_number(ArchId::kI386, Multiplexer::kSocketcall), 102U);
  EXPECT_EQ(multiplexer_number(ArchId::kI386, Multiplexer::kIpc), 117U);
  EXPECT_EQ(multiplexer_number(ArchId::kMipsel, Multiplexer::kSocketcall), 4102U);
  EXPECT_EQ(multiplexer_number(ArchId::kMips, Multiplexer::kIpc), 4117U);
  EXPECT_EQ(multiplexer_number(ArchId::kS390x, Multiplexer::kSocketcall), 102U);
  EXPECT_EQ(multiplexer_number(ArchId::kPpc64le, Multiplexer::kIpc), 117U);
}

TEST(Multiplex, CallsOnlyTheMultiplexerReaches) {
  // i386 never got accept, send, recv, semop or semtimedop as direct
  // syscalls; s390x has semtimedop but not the other four.
  for (const char* name : {"accept", "send", "recv", "semop", "semtimedop"})
    EXPECT_EQ(table(ArchId::kI386).number(name), std::nullopt) << name;
  EXPECT_EQ(table(ArchId::kI386).number("socket"), 359U);
  EXPECT_EQ(table(ArchId::kS390x).number("semtimedop"), 392U);
  EXPECT_EQ(table(ArchId::kS390x).number("accept"), std::nullopt);
}

TEST(Multiplex, IpcDispatchesOnTheLow16Bits) {
  EXPECT_EQ(multiplexer_call_mask(Multiplexer::kIpc), 0xffffU);
  EXPECT_EQ(multiplexer_call_mask(Multiplexer::kSocketcall), ~uint64_t{0});
}

}  // namespace
}  // namespace sysfence::syscalls
