#include "bpf/raw.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sysfence::bpf {
namespace {

const Program kSample = {
    Insn{0x0020, 0x00, 0x00, 0x00000004},
    Insn{0x0015, 0x01, 0x02, 0xc000003e},
    Insn{0x0006, 0x00, 0x00, 0x7fff0000},
};

TEST(Raw, WritesLittleEndianLayout) {
  const auto bytes = write_raw(kSample, Endian::kLittle);
  ASSERT_EQ(bytes.size(), 24U);
  const std::vector<uint8_t> first = {0x20, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8), first);
  const std::vector<uint8_t> second = {0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 8, bytes.begin() + 16), second);
}

TEST(Raw, WritesBigEndianLayout) {
  const auto bytes = write_raw(kSample, Endian::kBig);
  const std::vector<uint8_t> second = {0x00, 0x15, 0x01, 0x02, 0xc0, 0x00, 0x00, 0x3e};
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 8, bytes.begin() + 16), second);
}

TEST(Raw, RoundTripsInBothByteOrders) {
  Program prog;
  for (uint32_t i = 0; i < 300; ++i) {
    prog.push_back(Insn{static_cast<uint16_t>(i * 0x0101), static_cast<uint8_t>(i), static_cast<uint8_t>(255 - i),
                        i * 0x01020304U});
  }
  for (Endian e : {Endian::kLittle, Endian::kBig}) {
    auto back = read_raw(write_raw(prog, e), e, "x.bpf");
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(*back, prog);
  }
  // Reading in the wrong byte order swaps code and k, not jt/jf.
  auto swapped = read_raw(write_raw(kSample, Endian::kLittle), Endian::kBig, "x.bpf");
  ASSERT_TRUE(swapped.has_value());
  EXPECT_EQ((*swapped)[1], (Insn{0x1500, 0x01, 0x02, 0x3e0000c0}));
}

TEST(Raw, EmptyInputIsAnError) {
  auto r = read_raw({}, Endian::kLittle, "f.bpf");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "f.bpf: empty filter (a program needs at least one instruction)");
}

TEST(Raw, TruncatedInputNamesTheByteOffset) {
  const std::vector<uint8_t> bytes(20, 0);
  auto r = read_raw(bytes, Endian::kLittle, "f.bpf");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "f.bpf: truncated instruction at byte offset 16 (size 20 is not a multiple of 8)");
  const std::vector<uint8_t> seven(7, 0);
  auto r7 = read_raw(seven, Endian::kBig, "g.bpf");
  ASSERT_FALSE(r7.has_value());
  EXPECT_EQ(r7.error().message, "g.bpf: truncated instruction at byte offset 0 (size 7 is not a multiple of 8)");
}

TEST(Raw, HostEndianMatchesThisMachine) {
  const uint16_t probe = 1;
  const bool little = *reinterpret_cast<const uint8_t*>(&probe) == 1;
  EXPECT_EQ(host_endian(), little ? Endian::kLittle : Endian::kBig);
}

}  // namespace
}  // namespace sysfence::bpf
