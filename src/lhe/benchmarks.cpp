// Parameters and benchmarks from MadGraph reweighting texts in an LHE header.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "lhe_text.hpp"
#include "sbi/error.hpp"
#include "sbi/lhe.hpp"
#include "sbi/morphing.hpp"

namespace sbi::lhe {

using text::trim;

namespace {

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  while (true) {
    text::skip_space(s);
    if (s.empty()) break;
    std::size_t stop = 0;
    while (stop < s.size() && !text::is_space(s[stop])) ++stop;
    words.push_back(s.substr(0, stop));
    s.remove_prefix(stop);
  }
  return words;
}

bool parse_whole_double(std::string_view s, double& out) {
  return text::parse_double(s, out) && trim(s).empty();
}

}  // namespace

std::optional<std::vector<ParamCardChange>> parse_reweight_text(std::string_view body) {
  std::vector<ParamCardChange> changes;
  while (!body.empty()) {
    std::size_t nl = body.find('\n');
    std::string_view line = trim(body.substr(0, nl));
    body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    if (line.empty() || line[0] == '#') continue;
    std::string_view comment;
    if (std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      comment = line.substr(hash + 1);
      line = trim(line.substr(0, hash));
    }
    auto words = split_words(line);
    if (words.empty() || !text::iequals(words[0], "set")) return std::nullopt;
    std::size_t w = 1;
    if (w < words.size() && text::iequals(words[w], "param_card")) ++w;
    // BLOCK ID VALUE: exactly one id (multi-index entries such as yukawa matrices are not parameters here).
    if (words.size() - w != 3)
      throw InvalidArgument(fmt::format("reweighting line '{}': expected 'set param_card BLOCK ID VALUE' with one "
                                        "integer id (multi-index entries are not supported)",
                                        line));
    ParamCardChange change;
    change.block = std::string(words[w]);
    double id = 0;
    if (!parse_whole_double(words[w + 1], id) || id != std::floor(id))
      throw InvalidArgument(fmt::format("reweighting line '{}': the id '{}' is not an integer", line, words[w + 1]));
    change.lha_id = static_cast<std::int64_t>(id);
    if (!parse_whole_double(words[w + 2], change.value) || !std::isfinite(change.value))
      throw InvalidArgument(fmt::format("reweighting line '{}': the value '{}' is not a number", line, words[w + 2]));
    if (std::size_t orig = comment.find("orig:"); orig != std::string_view::npos) {
      std::string_view v = comment.substr(orig + 5);
      double original = 0;
      if (text::parse_double(v, original)) change.original = original;
    }
    changes.push_back(std::move(change));
  }
  return changes;
}

std::optional<std::pair<double, std::string>> param_card_entry(std::string_view card, std::string_view block,
                                                               std::int64_t lha_id) {
  bool in_block = false;
  while (!card.empty()) {
    std::size_t nl = card.find('\n');
    std::string_view line = card.substr(0, nl);
    card.remove_prefix(nl == std::string_view::npos ? card.size() : nl + 1);
    std::string_view t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::string_view content = t, comment;
    if (std::size_t hash = t.find('#'); hash != std::string_view::npos) {
      content = trim(t.substr(0, hash));
      comment = trim(t.substr(hash + 1));
    }
    auto words = split_words(content);
    if (words.empty()) continue;
    if (text::iequals(words[0], "block") || text::iequals(words[0], "decay")) {
      in_block = text::iequals(words[0], "block") && words.size() >= 2 && text::iequals(words[1], block);
      if (text::iequals(words[0], "decay") && text::iequals(block, "decay") && words.size() >= 3) {
        double id = 0, value = 0;
        if (parse_whole_double(words[1], id) && static_cast<std::int64_t>(id) == lha_id && parse_whole_double(words[2], value))
          return std::make_pair(value, std::string(comment));
      }
      continue;
    }
    if (!in_block || words.size() != 2) continue;
    double id = 0, value = 0;
    if (parse_whole_double(words[0], id) && static_cast<std::int64_t>(id) == lha_id && parse_whole_double(words[1], value))
      return std::make_pair(value, std::string(comment));
  }
  return std::nullopt;
}

Setup setup_from_header(const Header& header, const SetupFromHeaderOptions& options) {
  if (options.max_power < 1)
    throw InvalidArgument(fmt::format("SetupFromHeaderOptions::max_power = {}: must be at least 1", options.max_power));
  if (!(options.range_factor > 0) || !std::isfinite(options.range_factor))
    throw InvalidArgument(fmt::format("SetupFromHeaderOptions::range_factor = {}: must be finite and > 0", options.range_factor));

  // Which weights describe parameter points: parseable texts, in groups that set at least one value.
  struct Point {
    const WeightInfo* weight;
    std::vector<ParamCardChange> changes;
  };
  std::vector<Point> points;
  std::map<std::string, bool> group_sets_values;
  for (const auto& w : header.weights) {
    auto changes = parse_reweight_text(w.text);
    if (!changes) continue;
    if (!changes->empty()) group_sets_values[w.group] = true;
    points.push_back(Point{&w, std::move(*changes)});
  }
  std::erase_if(points, [&](const Point& p) { return !group_sets_values.count(p.weight->group); });
  if (points.empty())
    throw NotFound(fmt::format("no weight in the header's <initrwgt> describes a parameter point (a text of "
                               "'set param_card BLOCK ID VALUE' lines); the {} declared weights are scale/PDF "
                               "variations or absent. Give the set-up explicitly",
                               header.weights.size()));

  // The parameters: given, or one per (block, id) that any text changes.
  struct Key {
    std::string block;  // lower case
    std::int64_t id;
    bool operator<(const Key& o) const { return std::tie(block, id) < std::tie(o.block, o.id); }
  };
  std::vector<Parameter> parameters;
  std::map<Key, std::size_t> index;
  std::map<Key, double> original;
  std::map<Key, std::string> block_spelling;
  for (const auto& p : points)
    for (const auto& c : p.changes) {
      Key key{text::to_lower(c.block), c.lha_id};
      if (c.original && !original.count(key)) original[key] = *c.original;
      if (!block_spelling.count(key)) block_spelling[key] = c.block;
    }
  if (!options.parameters.empty()) {
    parameters = options.parameters;
    for (std::size_t i = 0; i < parameters.size(); ++i) index[Key{text::to_lower(parameters[i].lha_block), parameters[i].lha_id}] = i;
    for (const auto& [key, spelling] : block_spelling)
      if (!index.count(key))
        throw NotFound(fmt::format("the reweighting texts change param-card entry {} {} but no given parameter has "
                                   "lha_block = '{}' and lha_id = {}",
                                   spelling, key.id, spelling, key.id));
  } else {
    for (const auto& [key, spelling] : block_spelling) {
      Parameter p;
      auto entry = param_card_entry(header.param_card, key.block, key.id);
      // Param-card comments look like "chw" or "mb : 0.0": the first word is the name.
      std::string name;
      if (entry) {
        auto words = split_words(entry->second);
        if (!words.empty()) name = std::string(words[0]);
        if (!original.count(key)) original[key] = entry->first;
      }
      if (name.empty()) name = fmt::format("{}_{}", spelling, key.id);
      // The block as the param card spells it ("SMEFT"), else as the text does.
      p.lha_block = spelling;
      if (!header.param_card.empty()) {
        std::string_view card = header.param_card;
        while (!card.empty()) {
          std::size_t nl = card.find('\n');
          auto words = split_words(card.substr(0, nl));
          card.remove_prefix(nl == std::string_view::npos ? card.size() : nl + 1);
          if (words.size() >= 2 && text::iequals(words[0], "block") && text::iequals(words[1], key.block)) {
            p.lha_block = std::string(words[1]);
            break;
          }
        }
      }
      p.name = name;
      p.lha_id = key.id;
      p.max_power = options.max_power;
      index[key] = parameters.size();
      parameters.push_back(std::move(p));
    }
  }

  // Benchmarks: original values, changed where the text says so.
  Vector base = Vector::Zero(static_cast<Index>(parameters.size()));
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    Key key{text::to_lower(parameters[i].lha_block), parameters[i].lha_id};
    if (auto it = original.find(key); it != original.end())
      base(static_cast<Index>(i)) = it->second;
    else if (auto entry = param_card_entry(header.param_card, key.block, key.id))
      base(static_cast<Index>(i)) = entry->first;
  }
  Setup setup;
  bool have_reference = false;
  for (const auto& p : points) {
    Benchmark b;
    b.name = p.weight->id;
    b.values = base;
    for (const auto& c : p.changes) b.values(static_cast<Index>(index.at(Key{text::to_lower(c.block), c.lha_id}))) = c.value;
    if (!have_reference && b.values == base) b.is_reference = have_reference = true;
    setup.benchmarks.push_back(std::move(b));
  }
  if (options.parameters.empty()) {
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      double r = 0;
      for (const auto& b : setup.benchmarks) r = std::max(r, std::abs(b.values(static_cast<Index>(i))));
      r = r > 0 ? r * options.range_factor : 1.0;
      parameters[i].range_low = -r;
      parameters[i].range_high = r;
    }
  }
  setup.parameters = ParameterSpace(std::move(parameters));
  setup.validate();
  if (options.build_morphing && !setup.parameters.empty()) {
    const IntRowMatrix components = morphing_components(setup.parameters, options.max_power);
    const Index n_physical = setup.n_physical_benchmarks();
    if (n_physical >= components.rows()) {
      try {
        const Morphing morphing(components, setup.benchmark_values().topRows(n_physical));
        setup.morphing = morphing.to_stored();
      } catch (const NumericalError&) {
        // Degenerate benchmarks: no morphing from these points.
      }
    }
  }
  return setup;
}

std::vector<int> map_benchmarks_to_weights(const Setup& setup, const std::vector<std::string>& weight_ids,
                                           const std::vector<std::pair<std::string, std::string>>& weight_for_benchmark) {
  std::vector<int> out;
  out.reserve(setup.benchmarks.size());
  for (const auto& b : setup.benchmarks) {
    std::string wanted = b.name;
    bool explicit_id = false;
    for (const auto& [bench, id] : weight_for_benchmark)
      if (bench == b.name) wanted = id, explicit_id = true;
    int found = -1;
    for (std::size_t k = 0; k < weight_ids.size() && found < 0; ++k)
      if (weight_ids[k] == wanted) found = static_cast<int>(k);
    if (found < 0 && !explicit_id)
      for (std::size_t k = 0; k < weight_ids.size() && found < 0; ++k)
        if (text::iequals(weight_ids[k], wanted)) found = static_cast<int>(k);
    if (found < 0)
      throw NotFound(fmt::format("benchmark '{}' has no weight: no weight id '{}' among the file's {} ids [{}]; name "
                                 "the benchmarks like the weights or map them (weight_for_benchmark)",
                                 b.name, wanted, weight_ids.size(), fmt::join(weight_ids, ", ")));
    out.push_back(found);
  }
  return out;
}

}  // namespace sbi::lhe
