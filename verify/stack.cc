#include "verify/stack.h"

#include <fmt/format.h>

#include <functional>

#include "verify/dag_pool.h"

namespace sysfence::verify {

namespace {

// The action part the kernel compares, when the leaf fixes it.
std::optional<uint32_t> action_part(const Outcome& o) {
  if (o.symbolic_ret && !o.action.known()) return std::nullopt;
  return o.ret & kRetActionFull;
}

// The filters' outcomes on one joint path (installation order), combined.
Outcome combine(const std::vector<Outcome>& leaves) {
  const size_t n = leaves.size();
  uint32_t kept = kRetAllow;
  std::optional<size_t> winner;
  for (size_t k = n; k-- > 0;) {
    const Outcome& o = leaves[k];
    const std::optional<uint32_t> part = o.kind == Outcome::Kind::kUnsupported ? std::nullopt : action_part(o);
    if (!part) {
      Outcome u = o;
      u.filter = static_cast<uint32_t>(k);
      if (u.kind != Outcome::Kind::kUnsupported) {
        u = Outcome{};
        u.kind = Outcome::Kind::kUnsupported;
        u.where = o.where;
        u.filter = static_cast<uint32_t>(k);
        u.reason = "ret A selecting no defined action, in a filter stack";
      }
      return u;
    }
    if (bpf::replaces(*part, kept)) {
      kept = *part;
      winner = k;
    }
  }
  if (!winner) {
    Outcome all;
    all.action = Action::Allow();
    all.ret = kRetAllow;
    all.where = leaves.back().where;
    all.filter = Outcome::kEveryFilterAllows;
    return all;
  }
  Outcome out = leaves[*winner];
  out.filter = static_cast<uint32_t>(*winner);
  return out;
}

}  // namespace

Expected<StackProcedure> StackProcedure::create(std::vector<bpf::Program> stack, std::vector<std::string> names) {
  if (stack.empty()) return fail("a filter stack needs at least one filter");
  if (names.size() != stack.size()) return fail("a filter stack needs one name per filter");
  auto interp = bpf::StackInterpreter::create(stack);
  std::vector<BpfProcedure> filters;
  for (size_t k = 0; k < stack.size(); ++k) {
    auto p = BpfProcedure::create(std::move(stack[k]));
    if (!p) return fail(fmt::format("{}: {}", names[k], p.error().message));
    filters.push_back(std::move(*p));
  }
  if (!interp) return fail(interp.error().message);  // unreachable: each filter validated above
  return StackProcedure(std::move(filters), std::move(names), std::move(*interp));
}

Walk StackProcedure::walk(PathState& state, const LeafFn& on_leaf) const {
  std::vector<Outcome> leaves(filters_.size());
  // Filter k is walked under the constraints of filters 0..k-1's paths;
  // the last one's leaves complete a joint path.
  std::function<Walk(size_t)> walk_from = [&](size_t k) -> Walk {
    return filters_[k].walk(state, [&](const Outcome& leaf) {
      leaves[k] = leaf;
      if (k + 1 < filters_.size()) return walk_from(k + 1);
      return on_leaf(combine(leaves));
    });
  };
  return walk_from(0);
}

Action StackProcedure::run(const SeccompWords& input) const { return interp_.run(input).action(); }

std::optional<size_t> StackProcedure::deciding_filter(const SeccompWords& input) const {
  const bpf::StackRunResult r = interp_.run(input);
  if (!r.decider) return std::nullopt;
  return r.decider;
}

std::string StackProcedure::describe(const Outcome& leaf) const {
  if (leaf.filter == Outcome::kEveryFilterAllows) return "every filter allows";
  if (leaf.filter >= filters_.size()) return fmt::format("filter {}", leaf.filter);
  return fmt::format("filter {} ({}): {}", leaf.filter, names_[leaf.filter], filters_[leaf.filter].describe(leaf));
}

void StackProcedure::collect_constants(WordConstants& out) const {
  for (const BpfProcedure& f : filters_) f.collect_constants(out);
}

std::optional<uint32_t> StackProcedure::to_diagram(DagPool& pool) const {
  std::vector<DagPool::Ref> diagrams;
  diagrams.reserve(filters_.size());
  for (const BpfProcedure& f : filters_) {
    const std::optional<DagPool::Ref> d = f.to_diagram(pool);
    if (!d) return std::nullopt;
    diagrams.push_back(*d);
  }
  // The kernel walks the filters from the newest and keeps a return value
  // only when its action part is strictly lower than the one kept
  // (bpf::replaces), starting from ALLOW: a leaf of the partial diagram is
  // the value kept so far, and each older filter's diagram continues it.
  DagPool::Ref kept = pool.leaf(Action::Allow());
  for (size_t k = diagrams.size(); k-- > 0;) {
    const DagPool::Ref filter = diagrams[k];
    kept = pool.map_leaves(kept, [&](DagPool::Ref so_far) {
      const uint32_t held = encode(pool.action(so_far));
      return pool.map_leaves(filter, [&](DagPool::Ref answer) {
        return bpf::replaces(encode(pool.action(answer)), held) ? answer : so_far;
      });
    });
  }
  return kept;
}

uint64_t StackProcedure::run_cost() const {
  uint64_t cost = 0;
  for (const BpfProcedure& f : filters_) cost += f.run_cost();
  return cost;
}

}  // namespace sysfence::verify
