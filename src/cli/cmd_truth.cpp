// `sbi truth FILE --theta a[,b] [--theta1 a[,b]] --out FILE [--json]`: the exact log p(x|θ),
// log r(x|θ, θ1) and t(x|θ) for every event of a parton-level WH events file or every sample of a
// Galton samples file (include/sbi/truth.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sbi/error.hpp"
#include "sbi/truth.hpp"

namespace sbi::cli {

namespace {

// "a,b,…" → numbers; the count is checked against the file's parameters by truth_from_file.
Vector parse_numbers(const std::string& option, const std::string& text) {
  std::vector<double> values;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(',', begin);
    const std::string item = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || !std::isfinite(v))
      throw InvalidArgument(fmt::format("{} '{}': '{}' is not a finite number", option, text, item));
    values.push_back(v);
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return Eigen::Map<const Vector>(values.data(), static_cast<Index>(values.size()));
}

// Mean and number of the finite entries.
std::pair<double, Index> finite_mean(const Vector& v) {
  double sum = 0;
  Index n = 0;
  for (Index i = 0; i < v.size(); ++i)
    if (std::isfinite(v(i))) {
      sum += v(i);
      ++n;
    }
  return {n > 0 ? sum / static_cast<double>(n) : std::nan(""), n};
}

}  // namespace

void add_truth_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "truth", "The exact log p(x|theta), log r(x|theta,theta1) and t(x|theta) for every event of a parton-level WH events "
               "file (sbi generate wh --parton-level) or every sample of a Galton samples file (sbi generate galton)");
  struct Arguments {
    std::string file, theta, theta1, out;
    bool json = false;
  };
  auto a = std::make_shared<Arguments>();
  command->add_option("FILE", a->file, "Parton-level WH events file or Galton samples file")->required();
  command->add_option("--theta", a->theta,
                      "theta, one value per parameter (WH: c_HWtil,c_HW; required); Galton default: each sample's theta0");
  command->add_option("--theta1", a->theta1,
                      "Denominator hypothesis of log r (WH default: the SM 0,0; Galton: each ratio sample's theta1, else 0)");
  command->add_option("--out", a->out, "Truth file to write (HDF5: log_p, log_r, t, theta0, theta1, process_ids)")->required();
  command->add_flag("--json", a->json, "Print the summary as JSON");
  command->callback([a] {
    TruthPoints points;
    if (!a->theta.empty()) points.theta = parse_numbers("--theta", a->theta);
    if (!a->theta1.empty()) points.theta1 = parse_numbers("--theta1", a->theta1);
    const TruthTable table = truth_from_file(a->file, points);
    write_truth(a->out, table);
    const auto [mean_log_r, finite] = finite_mean(table.log_r);
    std::vector<double> mean_t;
    for (Index p = 0; p < table.t.cols(); ++p) mean_t.push_back(finite_mean(table.t.col(p)).first);
    const Index rows = table.size();
    if (a->json) {
      nlohmann::ordered_json j;
      j["input"] = a->file;
      j["source"] = table.source;
      j["parameters"] = table.parameter_names;
      j["n_rows"] = rows;
      j["n_finite"] = finite;
      j["mean_log_r"] = mean_log_r;
      j["mean_t"] = mean_t;
      j["output"] = a->out;
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("truth ({}) for {} rows of {} ({} with a finite log r): mean log r = {:.6g}, mean t = ({:.6g}); written to {}\n",
               table.source, rows, a->file, finite, mean_log_r, fmt::join(mean_t, ", "), a->out);
  });
}

}  // namespace sbi::cli
