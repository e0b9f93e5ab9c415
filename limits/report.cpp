// Reports of limit results: brief and full text, the interval table, JSON with stable keys.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sbi/atomic_file.hpp"
#include "sbi/limits.hpp"
#include "sbi/version.hpp"

namespace sbi {

namespace {

using json = nlohmann::ordered_json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json numbers(const Vector& v) {
  json out = json::array();
  for (Index i = 0; i < v.size(); ++i) out.push_back(number(v(i)));
  return out;
}

json rows(const RowMatrix& m) {
  json out = json::array();
  for (Index r = 0; r < m.rows(); ++r) out.push_back(numbers(m.row(r).transpose()));
  return out;
}

std::string segment_text(const IntervalSegment& s) {
  return fmt::format("[{}{:.4g}, {:.4g}{}]", s.low_open ? "≤" : "", s.low, s.high, s.high_open ? "≤" : "");
}

std::string segments_text(const std::vector<IntervalSegment>& segments) {
  if (segments.empty()) return "∅";
  std::vector<std::string> parts;
  for (const auto& s : segments) parts.push_back(segment_text(s));
  return fmt::format("{}", fmt::join(parts, " ∪ "));
}

std::string header(const LimitResult& r) {
  std::string what = r.expected ? fmt::format("expected at θ_true = ({:.4g})", fmt::join(r.theta_true, ", ")) : "observed";
  return fmt::format("{}: mode {}{}, {}, L = {:.6g} pb⁻¹, n = {:.6g} events, {} points, k = {}", r.label, to_string(r.mode),
                     r.mode == LimitMode::Rate ? "" : (r.include_rate ? " + rate" : " (no rate)"), what, r.luminosity, r.n_events,
                     r.grid.size(), r.dof);
}

std::string best_fit_text(const LimitResult& r) {
  std::vector<std::string> parts;
  for (Index p = 0; p < r.best_fit.size(); ++p)
    parts.push_back(fmt::format("{} = {:.5g}", r.parameter_names[static_cast<std::size_t>(p)], r.best_fit(p)));
  return fmt::format("best fit ({}{}): {}", r.best_fit_method, r.best_fit_on_boundary ? ", on the scan boundary" : "",
                     fmt::join(parts, ", "));
}

}  // namespace

std::string LimitResult::brief_report() const {
  std::string out = header(*this) + "\n  " + best_fit_text(*this) + "\n";
  for (const auto& profile : profiles) {
    std::vector<std::string> parts;
    for (const auto& i : intervals)
      if (i.parameter_index == profile.parameter_index)
        parts.push_back(fmt::format("{:g} % CL {}", 100 * i.confidence_level, segments_text(i.segments)));
    out += fmt::format("  {}{}: {}\n", profile.parameter, profile.profiled ? " (profiled)" : "", fmt::join(parts, "; "));
  }
  for (const auto& c : contours) {
    Index points = 0;
    for (const auto& l : c.lines) points += l.points.rows();
    out += fmt::format("  contour {:g} % CL (q = {:.4g}): {} line(s), {} points\n", 100 * c.confidence_level, c.q_threshold,
                       c.lines.size(), points);
  }
  return out;
}

std::string LimitResult::full_report() const {
  std::string out = brief_report();
  if (!histogram_axes.empty()) {
    out += fmt::format("  histogram axes: {}\n", fmt::join(histogram_axes, ", "));
    for (std::size_t a = 0; a < bin_edges.size(); ++a)
      out += fmt::format("    {} edges ({} bins, outer bins open): {:.4g}\n", histogram_axes[a], bin_edges[a].size() - 1,
                         fmt::join(bin_edges[a], ", "));
  }
  if (!nuisance_names.empty()) out += fmt::format("  nuisance parameters profiled: {}\n", fmt::join(nuisance_names, ", "));
  out += fmt::format("  {} likelihood evaluations in {:.3f} s\n", n_evaluations, seconds);
  for (const auto& n : notes) out += fmt::format("  note: {}\n", n);
  // The scan table.
  std::string head;
  for (const auto& name : parameter_names) head += fmt::format("{:>12}", name);
  out += fmt::format("  {} {:>14} {:>14} {:>12} {:>12} {:>12}\n", head, "log L_kin", "log L_rate", "log L", "q", "p");
  for (Index t = 0; t < grid.size(); ++t) {
    std::string point;
    for (Index p = 0; p < grid.n_parameters(); ++p) point += fmt::format("{:>12.5g}", grid.thetas()(t, p));
    out += fmt::format("  {} {:>14.8g} {:>14.8g} {:>12.8g} {:>12.5g} {:>12.5g}\n", point, log_likelihood_kinematic(t),
                       log_likelihood_rate(t), log_likelihood(t), q(t), p_values(t));
  }
  return out;
}

std::string LimitResult::to_json(int indent) const {
  json j;
  j["label"] = label;
  j["mode"] = std::string(to_string(mode));
  j["include_rate"] = include_rate;
  j["kind"] = expected ? "expected" : "observed";
  j["parameters"] = parameter_names;
  j["theta_true"] = numbers(theta_true);
  j["luminosity_pb"] = number(luminosity);
  j["n_events"] = number(n_events);
  j["dof"] = dof;
  j["confidence_levels"] = confidence_levels;
  json g;
  g["regular"] = grid.is_regular();
  if (grid.is_regular()) {
    json axes = json::object();
    for (Index p = 0; p < grid.n_parameters(); ++p) axes[parameter_names[static_cast<std::size_t>(p)]] = numbers(grid.axis_values(p));
    g["axes"] = axes;
    g["shape"] = grid.shape();
  }
  g["thetas"] = rows(grid.thetas());
  j["grid"] = g;
  j["log_likelihood"] = {{"kinematic", numbers(log_likelihood_kinematic)},
                         {"rate", numbers(log_likelihood_rate)},
                         {"constraint", numbers(log_likelihood_constraint)},
                         {"total", numbers(log_likelihood)}};
  j["q"] = numbers(q);
  j["p_values"] = numbers(p_values);
  j["best_fit"] = {{"theta", numbers(best_fit)},
                   {"log_likelihood", number(best_fit_log_likelihood)},
                   {"grid_index", best_index},
                   {"on_boundary", best_fit_on_boundary},
                   {"method", best_fit_method}};
  j["nuisance"] = {{"names", nuisance_names}, {"values", rows(nuisance_values)}};
  json profs = json::array();
  for (const auto& p : profiles)
    profs.push_back({{"parameter", p.parameter}, {"profiled", p.profiled}, {"values", numbers(p.values)}, {"q", numbers(p.q)}});
  j["profiles"] = profs;
  json ints = json::array();
  for (const auto& i : intervals) {
    json segs = json::array();
    for (const auto& s : i.segments)
      segs.push_back({{"low", number(s.low)}, {"high", number(s.high)}, {"low_open", s.low_open}, {"high_open", s.high_open}});
    ints.push_back({{"parameter", i.parameter},
                    {"confidence_level", i.confidence_level},
                    {"q_threshold", i.q_threshold},
                    {"profiled", i.profiled},
                    {"refined", i.refined},
                    {"segments", segs}});
  }
  j["intervals"] = ints;
  json cons = json::array();
  for (const auto& c : contours) {
    json lines = json::array();
    for (const auto& l : c.lines) lines.push_back({{"closed", l.closed}, {"points", rows(l.points)}});
    cons.push_back({{"confidence_level", c.confidence_level},
                    {"q_threshold", c.q_threshold},
                    {"parameters", {parameter_names[static_cast<std::size_t>(c.parameter_x)], parameter_names[static_cast<std::size_t>(c.parameter_y)]}},
                    {"lines", lines}});
  }
  j["contours"] = cons;
  json edges = json::array();
  for (const auto& e : bin_edges) {
    json axis = json::array();
    for (double v : e) axis.push_back(number(v));
    edges.push_back(axis);
  }
  j["histogram"] = {{"axes", histogram_axes}, {"edges", edges}};
  j["notes"] = notes;
  j["n_evaluations"] = n_evaluations;
  j["seconds"] = seconds;
  return j.dump(indent);
}

void write_limit_results_json(const std::filesystem::path& path, const std::vector<LimitResult>& results) {
  json j;
  j["sbi_version"] = version;
  j["results"] = json::array();
  for (const auto& r : results) j["results"].push_back(json::parse(r.to_json(-1)));
  write_text_file_atomically(path, j.dump(2) + "\n");
}

std::string limits_table(const std::vector<LimitResult>& results) {
  if (results.empty()) return "";
  const auto& levels = results.front().confidence_levels;
  std::size_t label_width = 5, parameter_width = 9;
  for (const auto& r : results) {
    label_width = std::max(label_width, r.label.size());
    for (const auto& p : r.profiles) parameter_width = std::max(parameter_width, p.parameter.size() + (p.profiled ? 11 : 0));
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>22}", "label", label_width, "parameter", parameter_width, "best fit");
  for (double cl : levels) out += fmt::format("  {:<34}", fmt::format("{:g} % CL", 100 * cl));
  out += "\n";
  for (const auto& r : results)
    for (const auto& p : r.profiles) {
      out += fmt::format("{:<{}}  {:<{}}  {:>22.5g}", r.label, label_width, p.parameter + (p.profiled ? " (profiled)" : ""),
                         parameter_width, r.best_fit(p.parameter_index));
      for (double cl : levels) {
        std::string text = "-";
        for (const auto& i : r.intervals)
          if (i.parameter_index == p.parameter_index && std::abs(i.confidence_level - cl) < 1e-12) text = segments_text(i.segments);
        out += fmt::format("  {:<34}", text);
      }
      out += "\n";
    }
  return out;
}

}  // namespace sbi
