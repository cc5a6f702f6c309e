// The routes around Docker's documented example profile (default ALLOW; deny
// getcwd, mount, setns, create_module, chown, chmod) end to end on the built
// binary: `audit` names the chmod, chown and mount routes in text, JSON and
// SARIF; the fixed profile (siblings denied too) has none of them; Docker's
// current default has no route at all; `explain chmod` lists the siblings.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

const std::string kExample = "test/audit/data/docker-doc-example.json";
const std::string kFixed = "test/audit/data/docker-doc-example-fixed.json";

cli_runner::Result run(std::vector<std::string> args) { return cli_runner::run_sysfence(args); }

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(SiblingsCli, TheExampleProfileHasTheChmodChownAndMountRoutes) {
  const auto r = run({"audit", cli_runner::runfile(kExample), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();  // high findings
  EXPECT_TRUE(has(r.out,
                  "sibling-route       chmod is denied on x86_64 but fchmod, fchmodat and fchmodat2 are "
                  "allowed"))
      << r.out;
  EXPECT_TRUE(has(r.out, "sibling-route       chown is denied on x86_64 but lchown, fchown and fchownat are allowed"))
      << r.out;
  EXPECT_TRUE(has(r.out,
                  "sibling-route       mount is denied on x86_64 but fsopen, fsconfig, fsmount, move_mount, "
                  "open_tree"))
      << r.out;
  EXPECT_TRUE(has(r.out, "fix: deny fchmod, fchmodat and fchmodat2 as well, or allow chmod deliberately")) << r.out;
  EXPECT_TRUE(has(r.out, "io-uring")) << r.out;
}

TEST(SiblingsCli, TheFixedProfileClosesThem) {
  const auto r = run({"audit", cli_runner::runfile(kFixed), "--arch", "x86_64"});
  for (std::string_view gone : {"chmod is denied", "chown is denied", "mount is denied", "create_module", "io-uring"})
    EXPECT_FALSE(has(r.out, gone)) << gone << "\n" << r.out;
  // getcwd's route is not closed by denying siblings: it has none.
  EXPECT_TRUE(has(r.out, "getcwd is denied")) << r.out;
}

TEST(SiblingsCli, DockersDefaultHasNoRoute) {
  for (std::string_view arch : {"x86_64", "aarch64", "mips64", "s390x"}) {
    const auto r = run({"audit", "default", "--arch", std::string(arch)});
    EXPECT_FALSE(has(r.out, "sibling-route")) << arch << "\n" << r.out;
    EXPECT_FALSE(has(r.out, "io-uring")) << arch << "\n" << r.out;
  }
}

TEST(SiblingsCli, JsonAndSarifCarryTheFindings) {
  const auto j = run({"audit", cli_runner::runfile(kExample), "--arch", "x86_64", "--format", "json"});
  const boost::json::value doc = boost::json::parse(j.out);
  int routes = 0;
  for (const auto& f : doc.at("findings").as_array()) {
    if (f.at("check").as_string() != "sibling-route") continue;
    ++routes;
    EXPECT_EQ(f.at("inputs").as_array().size(), 2U);
    EXPECT_TRUE(f.as_object().contains("location")) << boost::json::serialize(f);
  }
  EXPECT_EQ(routes, 5);  // chmod, chown, mount, create_module, getcwd
  const auto s = run({"audit", cli_runner::runfile(kExample), "--arch", "x86_64", "--format", "sarif"});
  const boost::json::value sarif = boost::json::parse(s.out);
  int results = 0;
  for (const auto& res : sarif.at("runs").at(0).at("results").as_array())
    results += res.at("ruleId").as_string() == "sibling-route" ? 1 : 0;
  EXPECT_EQ(results, 5);
  EXPECT_TRUE(has(s.out, "\"io-uring\"")) << s.out;
}

TEST(SiblingsCli, ExplainChmodShowsTheSiblings) {
  const auto r = run({"explain", "chmod", "--profile", cli_runner::runfile(kExample), "--arch", "x86_64"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(has(r.out, "siblings of chmod on x86_64 (the kernel operation \"change a file's mode bits\"")) << r.out;
  EXPECT_TRUE(has(r.out, "fchmodat2          number 452: ALLOW (the default action)")) << r.out;
  EXPECT_TRUE(has(r.out, "chmod is denied here, but fchmod, fchmodat, fchmodat2 still reach the operation")) << r.out;
  // On Docker's default every member is allowed: the list, no warning.
  const auto d = run({"explain", "chmod", "--arch", "x86_64"});
  EXPECT_TRUE(has(d.out, "siblings of chmod on x86_64")) << d.out;
  EXPECT_FALSE(has(d.out, "still reach the operation")) << d.out;
}

}  // namespace
}  // namespace sysfence
