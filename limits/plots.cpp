// Plots of limit results with PLplot's cairo devices (pngcairo, pdfcairo): headless, no display.
// The only translation unit that sees PLplot. PLplot keeps global stream state, so every plot
// runs under one mutex in its own stream.
#include <plplot/plplot.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>

#include "sbi/atomic_file.hpp"
#include "sbi/error.hpp"
#include "sbi/limits.hpp"

namespace sbi {

namespace {

std::mutex plplot_mutex;

// A colour-blind-safe palette (Okabe–Ito), indices 2.. in PLplot's map 0.
constexpr std::array<std::array<int, 3>, 8> kPalette = {{{0, 114, 178},
                                                         {213, 94, 0},
                                                         {0, 158, 115},
                                                         {204, 121, 167},
                                                         {230, 159, 0},
                                                         {86, 180, 233},
                                                         {240, 228, 66},
                                                         {120, 120, 120}}};

PLINT colour_of(std::size_t i) { return static_cast<PLINT>(2 + i % kPalette.size()); }

// Runs `draw` once per format into a fresh PLplot stream writing a temporary file, then renames
// it onto <stem>.<format>.
std::vector<std::filesystem::path> render(const std::filesystem::path& stem, const PlotOptions& options,
                                          const std::function<void()>& draw) {
  options.validate();
  std::vector<std::filesystem::path> written;
  std::lock_guard lock(plplot_mutex);
  for (const auto& format : options.formats) {
    std::filesystem::path target = stem;
    target += "." + format;
    AtomicOutput out(target);
    PLINT previous = 0;
    plgstrm(&previous);
    PLINT stream = 0;
    plmkstrm(&stream);
    plsdev(format == "png" ? "pngcairo" : "pdfcairo");
    plsfnam(out.temporary_path().string().c_str());
    plspage(0, 0, options.width, options.height, 0, 0);
    plscolbg(255, 255, 255);
    plscol0(1, 0, 0, 0);
    for (std::size_t i = 0; i < kPalette.size(); ++i)
      plscol0(static_cast<PLINT>(2 + i), kPalette[i][0], kPalette[i][1], kPalette[i][2]);
    plsetopt("quiet", "1");
    plinit();
    plfontld(1);
    draw();
    plend1();
    plsstrm(previous);
    if (!std::filesystem::exists(out.temporary_path()) || std::filesystem::file_size(out.temporary_path()) == 0)
      throw FileError(fmt::format("PLplot wrote nothing to {} (device {}cairo)", target.string(), format));
    out.commit();
    written.push_back(target);
  }
  return written;
}

// The axes in the left part of the page; the legend goes to the right of them.
void frame(double x0, double x1, double y0, double y1, const std::string& x_label, const std::string& y_label,
           const std::string& title) {
  pladv(0);
  plvpor(0.12, 0.64, 0.12, 0.9);
  // Plain tick labels (no "×10⁻²" factor outside the box) up to 6 digits.
  plsxax(6, 0);
  plsyax(6, 0);
  plwind(x0, x1, y0, y1);
  plcol0(1);
  plwidth(1.2);
  plschr(0, 1.1);
  plbox("bcnst", 0, 0, "bcnstv", 0, 0);
  pllab(x_label.c_str(), y_label.c_str(), title.c_str());
}

// Line entries (labels, colours, styles) and symbol entries (symbol_labels, symbols, in black).
void legend(const std::vector<std::string>& labels, const std::vector<PLINT>& colours, const std::vector<PLINT>& styles,
            PLINT position, const std::vector<std::string>& symbol_labels = {}, const std::vector<std::string>& symbols = {}) {
  if (labels.empty() && symbol_labels.empty()) return;
  const std::size_t n = labels.size() + symbol_labels.size();
  std::vector<PLINT> opt(n, PL_LEGEND_LINE), text_colours(n, 1), line_colours(n, 1), line_styles(n, 1);
  std::vector<PLINT> symbol_colours(n, 1), symbol_numbers(n, 1);
  std::vector<PLFLT> widths(n, 2.0), symbol_scales(n, 1.2);
  std::vector<const char*> text, symbol_text;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    text.push_back(labels[i].c_str());
    line_colours[i] = colours[i];
    line_styles[i] = styles[i];
    symbol_text.push_back("");
  }
  for (std::size_t i = 0; i < symbol_labels.size(); ++i) {
    opt[labels.size() + i] = PL_LEGEND_SYMBOL;
    text.push_back(symbol_labels[i].c_str());
    symbol_text.push_back(symbols[i].c_str());
  }
  // Long labels shrink the text so the legend stays on the page (it sits right of the axes).
  std::size_t longest = 0;
  for (const char* t : text) longest = std::max(longest, std::strlen(t));
  const PLFLT text_scale = std::min(0.8, 0.8 * 24.0 / static_cast<double>(std::max<std::size_t>(longest, 1)));
  PLFLT w = 0, h = 0;
  pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position | PL_POSITION_OUTSIDE, 0.02, 0.0, 0.06, 0, 1, 1, 0,
           0, static_cast<PLINT>(n), opt.data(), 1.0, text_scale, 2.0, 0.0, text_colours.data(), text.data(), nullptr, nullptr,
           nullptr, nullptr, line_colours.data(), line_styles.data(), widths.data(), symbol_colours.data(),
           symbol_scales.data(), symbol_numbers.data(), symbol_text.data());
}

}  // namespace

std::vector<std::filesystem::path> plot_limit_scans(const std::vector<LimitResult>& results, const std::string& parameter,
                                                    const std::filesystem::path& stem, const PlotOptions& options) {
  struct Curve {
    std::string label;
    Vector x, q;
  };
  std::vector<Curve> curves;
  std::vector<double> thresholds;
  std::vector<double> levels;
  for (const auto& r : results)
    for (const auto& p : r.profiles)
      if (p.parameter == parameter) {
        curves.push_back({r.label, p.values, p.q});
        if (thresholds.empty())
          for (const auto& i : r.intervals)
            if (i.parameter == parameter) thresholds.push_back(i.q_threshold), levels.push_back(i.confidence_level);
      }
  if (curves.empty()) throw InvalidArgument(fmt::format("plot_limit_scans: no result scanned the parameter '{}'", parameter));
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0;
  for (const auto& c : curves) x0 = std::min(x0, c.x.minCoeff()), x1 = std::max(x1, c.x.maxCoeff());
  double q_max = options.q_max;
  if (q_max == 0) {
    q_max = 5.0;
    for (double t : thresholds) q_max = std::max(q_max, 1.5 * t);
  }
  return render(stem, options, [&] {
    frame(x0, x1, 0, q_max, parameter, "q = -2 Δlog L", options.title);
    // Confidence-level lines.
    plcol0(9);
    pllsty(2);
    plwidth(1.0);
    for (std::size_t k = 0; k < thresholds.size(); ++k) {
      const PLFLT xs[2] = {x0, x1}, ys[2] = {thresholds[k], thresholds[k]};
      plline(2, xs, ys);
      plptex(x0 + 0.02 * (x1 - x0), thresholds[k] + 0.015 * q_max, 1, 0, 0, fmt::format("{:g} % CL", 100 * levels[k]).c_str());
    }
    std::vector<std::string> labels;
    std::vector<PLINT> colours, styles;
    for (std::size_t c = 0; c < curves.size(); ++c) {
      const Curve& curve = curves[c];
      plcol0(colour_of(c));
      pllsty(1);
      plwidth(2.0);
      // The spline the intervals use, through the finite points, clipped at q_max.
      std::vector<PLFLT> xs, ys;
      std::vector<double> fx, fq;
      for (Index j = 0; j < curve.x.size(); ++j)
        if (std::isfinite(curve.q(j))) fx.push_back(curve.x(j)), fq.push_back(curve.q(j));
      if (fx.size() >= 2) {
        const CubicSpline spline(Eigen::Map<Vector>(fx.data(), static_cast<Index>(fx.size())),
                                 Eigen::Map<Vector>(fq.data(), static_cast<Index>(fq.size())));
        const int n = 400;
        for (int k = 0; k <= n; ++k) {
          const double x = fx.front() + (fx.back() - fx.front()) * k / n;
          xs.push_back(x);
          ys.push_back(std::clamp(spline(x), -q_max, 10 * q_max));  // PLplot clips at the frame
        }
        plline(static_cast<PLINT>(xs.size()), xs.data(), ys.data());
      }
      std::vector<PLFLT> px, py;
      for (std::size_t j = 0; j < fx.size(); ++j)
        if (fq[j] <= q_max) px.push_back(fx[j]), py.push_back(fq[j]);
      plssym(0, 0.6);
      if (!px.empty()) plpoin(static_cast<PLINT>(px.size()), px.data(), py.data(), 17);
      labels.push_back(curve.label);
      colours.push_back(colour_of(c));
      styles.push_back(1);
    }
    legend(labels, colours, styles, PL_POSITION_RIGHT);
  });
}

std::vector<std::filesystem::path> plot_limit_contours(const std::vector<LimitResult>& results,
                                                       const std::filesystem::path& stem, const PlotOptions& options) {
  std::vector<const LimitResult*> with;
  for (const auto& r : results)
    if (!r.contours.empty()) with.push_back(&r);
  if (with.empty()) throw InvalidArgument("plot_limit_contours: no result has contours (a 2-D regular scan)");
  const Index px = with.front()->contours.front().parameter_x, py = with.front()->contours.front().parameter_y;
  for (const auto* r : with)
    if (r->contours.front().parameter_x != px || r->contours.front().parameter_y != py)
      throw InvalidArgument(fmt::format("plot_limit_contours: '{}' scanned other parameters than '{}'", r->label, with.front()->label));
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto* r : with) {
    const Vector xs = r->grid.axis_values(px), ys = r->grid.axis_values(py);
    x0 = std::min(x0, xs.minCoeff()), x1 = std::max(x1, xs.maxCoeff());
    y0 = std::min(y0, ys.minCoeff()), y1 = std::max(y1, ys.maxCoeff());
  }
  const auto& names = with.front()->parameter_names;
  return render(stem, options, [&] {
    frame(x0, x1, y0, y1, names[static_cast<std::size_t>(px)], names[static_cast<std::size_t>(py)], options.title);
    std::vector<std::string> labels;
    std::vector<PLINT> colours, styles;
    for (std::size_t k = 0; k < with.size(); ++k) {
      const LimitResult& r = *with[k];
      plcol0(colour_of(k));
      plwidth(2.0);
      for (std::size_t c = 0; c < r.contours.size(); ++c) {
        const PLINT style = c == 0 ? 1 : c == 1 ? 2 : 3;
        pllsty(style);
        for (const auto& line : r.contours[c].lines) {
          std::vector<PLFLT> xs, ys;
          for (Index i = 0; i < line.points.rows(); ++i) xs.push_back(line.points(i, 0)), ys.push_back(line.points(i, 1));
          if (line.closed && !xs.empty()) xs.push_back(xs.front()), ys.push_back(ys.front());
          if (xs.size() >= 2) plline(static_cast<PLINT>(xs.size()), xs.data(), ys.data());
        }
        labels.push_back(fmt::format("{} {:g} % CL", r.label, 100 * r.contours[c].confidence_level));
        colours.push_back(colour_of(k));
        styles.push_back(style);
      }
      pllsty(1);
      plssym(0, 1.2);
      PLFLT bx = r.best_fit(px), by = r.best_fit(py);
      plpoin(1, &bx, &by, 5);  // ×: the best fit
      if (r.theta_true.size() > std::max(px, py)) {
        plcol0(1);
        PLFLT tx = r.theta_true(px), ty = r.theta_true(py);
        plpoin(1, &tx, &ty, 2);  // +: θ_true
      }
    }
    legend(labels, colours, styles, PL_POSITION_RIGHT, {"best fit", "θ true"}, {"×", "+"});
  });
}

}  // namespace sbi
