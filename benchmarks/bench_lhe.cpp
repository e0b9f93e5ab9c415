// LHE reading speed on the SMEFTsim VBF H files (data README §2.1): events/s and MB/s of
// uncompressed LHE text, gzip included, one core. Three passes: the reader alone, the reader +
// kinematics + four expression observables and a cut, and the full conversion to a MadMinerFile.
// Usage: bench_lhe [DATA_DIR]   (default ../shared/data beside the source tree)
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "sbi/lhe.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const fs::path data = argc > 1 ? fs::path(argv[1]) : fs::path(SBI_BENCH_SOURCE_DIR) / ".." / "shared" / "data";
  std::vector<fs::path> files;
  for (int i = 1; i <= 5; ++i) files.push_back(data / "lhe" / "event2vec" / fmt::format("smeftsim_VBFH-{}.lhe.gz", i));
  for (const auto& f : files)
    if (!fs::exists(f)) {
      fmt::print("bench_lhe: {} absent; nothing measured\n", f.string());
      return 0;
    }
  std::uintmax_t compressed = 0;
  for (const auto& f : files) compressed += fs::file_size(f);

  // 1. Reader only (particles, 21 named weights per event).
  std::int64_t events = 0, bytes = 0;
  auto start = std::chrono::steady_clock::now();
  sbi::lhe::Event event;
  for (const auto& f : files) {
    sbi::lhe::Reader reader(f);
    while (reader.next(event)) ++events;
    bytes += reader.bytes_read();
  }
  const double t_read = seconds_since(start);

  // 2. Reader + observables + cut.
  std::vector<sbi::lhe::ObservableSpec> observables{
      {"pt_j1", "pt_j1"}, {"m_jj", "m_jj"}, {"deta_jj", "deta_jj"}, {"dphi_jj", "dphi_jj_signed"}};
  std::vector<sbi::lhe::CutSpec> cuts{{"m_jj > 100"}};
  sbi::lhe::ObservableCalculator calculator(observables, cuts);
  std::vector<double> values(observables.size());
  std::int64_t kept = 0;
  start = std::chrono::steady_clock::now();
  for (const auto& f : files) {
    sbi::lhe::Reader reader(f);
    while (reader.next(event))
      kept += calculator.evaluate(event, values.data()) == sbi::lhe::ObservableCalculator::Outcome::kept;
  }
  const double t_obs = seconds_since(start);

  // 3. Full conversion (set-up from the header, 21 benchmark weights, MadMinerFile in memory).
  start = std::chrono::steady_clock::now();
  const sbi::Setup setup = sbi::lhe::setup_from_header(sbi::lhe::read_header(files[0]));
  sbi::lhe::ConvertOptions options;
  options.observables = observables;
  options.cuts = cuts;
  std::vector<sbi::lhe::LheSample> samples;
  for (const auto& f : files) samples.push_back(sbi::lhe::LheSample{f});
  const auto file = sbi::lhe::convert(setup, samples, options);
  const double t_convert = seconds_since(start);

  const double mb = static_cast<double>(bytes) / 1e6;
  fmt::print("bench_lhe: {} events, {:.1f} MB of LHE text ({:.1f} MB gzip) in 5 files\n", events, mb,
             static_cast<double>(compressed) / 1e6);
  fmt::print("  {:<44} {:>8.3f} s {:>12.0f} events/s {:>8.0f} MB/s\n", "read (gzip + parse + 21 weights)", t_read,
             static_cast<double>(events) / t_read, mb / t_read);
  fmt::print("  {:<44} {:>8.3f} s {:>12.0f} events/s {:>8.0f} MB/s\n", "read + 4 observables + 1 cut", t_obs,
             static_cast<double>(events) / t_obs, mb / t_obs);
  fmt::print("  {:<44} {:>8.3f} s {:>12.0f} events/s {:>8.0f} MB/s  ({} events kept)\n", "convert (MadMinerFile in memory)",
             t_convert, static_cast<double>(events) / t_convert, mb / t_convert, file.events->size());
  (void)kept;
  return 0;
}
