#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "hdf5_handles.hpp"
#include "sbi/atomic_file.hpp"
#include "sbi/error.hpp"
#include "sbi/npy.hpp"
#include "sbi/samples.hpp"
#include "sbi/version.hpp"

namespace sbi {

namespace {

constexpr std::pair<SampleKind, std::string_view> kind_names[] = {
    {SampleKind::Plain, "plain"}, {SampleKind::Local, "local"},          {SampleKind::Density, "density"},
    {SampleKind::Ratio, "ratio"}, {SampleKind::MoreRatios, "more-ratios"}, {SampleKind::Test, "test"},
};
constexpr std::pair<Partition, std::string_view> partition_names[] = {
    {Partition::Train, "train"}, {Partition::Validation, "validation"}, {Partition::Test, "test"}, {Partition::All, "all"}};

struct FieldUse {
  bool theta1, y, r_xz, t_xz0, t_xz1;
};

FieldUse fields_of(SampleKind kind) {
  switch (kind) {
    case SampleKind::Plain:
    case SampleKind::Test: return {false, false, false, false, false};
    case SampleKind::Local:
    case SampleKind::Density: return {false, false, false, true, false};
    case SampleKind::Ratio: return {true, true, true, true, false};
    case SampleKind::MoreRatios: return {true, true, true, true, true};
  }
  return {};
}

}  // namespace

std::string_view to_string(SampleKind kind) {
  for (const auto& [k, name] : kind_names)
    if (k == kind) return name;
  return "?";
}

SampleKind parse_sample_kind(std::string_view name) {
  if (name == "more_ratios") return SampleKind::MoreRatios;
  for (const auto& [k, n] : kind_names)
    if (n == name) return k;
  throw InvalidArgument(fmt::format("sample kind '{}' is unknown; use one of plain, local, density, ratio, more-ratios, test", name));
}

std::string_view to_string(Partition partition) {
  for (const auto& [p, name] : partition_names)
    if (p == partition) return name;
  return "?";
}

Partition parse_partition(std::string_view name) {
  for (const auto& [p, n] : partition_names)
    if (n == name) return p;
  throw InvalidArgument(fmt::format("partition '{}' is unknown; use one of train, validation, test, all", name));
}

void AugmentedSamples::validate() const {
  const Index n = x.rows();
  const Index n_p = n_parameters();
  const FieldUse use = fields_of(kind);
  auto check_matrix = [&](const RowMatrix& m, const char* name, bool used, Index cols) {
    if (!used) {
      if (m.size() != 0)
        throw InvalidArgument(fmt::format("samples of kind {} have no {}, but it has shape ({}, {})", to_string(kind), name,
                                          m.rows(), m.cols()));
      return;
    }
    if (m.rows() != n || m.cols() != cols)
      throw InvalidArgument(fmt::format("{} has shape ({}, {}); expected ({}, {}) for {} samples of kind {}", name, m.rows(),
                                        m.cols(), n, cols, n, to_string(kind)));
    for (Index i = 0; i < m.rows(); ++i)
      for (Index j = 0; j < m.cols(); ++j)
        if (!std::isfinite(m(i, j)))
          throw DataError(fmt::format("{}[{}, {}] = {} at sample {}: must be finite", name, i, j, m(i, j), i));
  };
  auto check_vector = [&](const Vector& v, const char* name, bool used) {
    if (!used) {
      if (v.size() != 0)
        throw InvalidArgument(fmt::format("samples of kind {} have no {}, but it has {} entries", to_string(kind), name, v.size()));
      return;
    }
    if (v.size() != n)
      throw InvalidArgument(fmt::format("{} has {} entries; expected one per sample ({})", name, v.size(), n));
  };
  if (x.cols() != static_cast<Index>(observable_names.size()) && !observable_names.empty())
    throw InvalidArgument(fmt::format("x has {} columns but {} observable names are given", x.cols(), observable_names.size()));
  check_matrix(x, "x", true, x.cols());
  check_matrix(theta0, "theta0", true, n_p);
  check_matrix(theta1, "theta1", use.theta1, n_p);
  check_matrix(t_xz0, "t_xz0", use.t_xz0, n_p);
  check_matrix(t_xz1, "t_xz1", use.t_xz1, n_p);
  check_vector(y, "y", use.y);
  check_vector(r_xz, "r_xz", use.r_xz);
  for (Index i = 0; i < y.size(); ++i)
    if (y(i) != 0.0 && y(i) != 1.0) throw DataError(fmt::format("y[{}] = {} at sample {}: labels must be 0 or 1", i, y(i), i));
  for (Index i = 0; i < r_xz.size(); ++i)
    if (!(r_xz(i) > 0.0) || !std::isfinite(r_xz(i)))
      throw DataError(fmt::format("r_xz[{}] = {} at sample {}: joint likelihood ratios must be positive and finite", i,
                                  r_xz(i), i));
}

void write_samples(const std::filesystem::path& path, const AugmentedSamples& samples) {
  samples.validate();
  AtomicOutput output(path);
  h5::File file = h5::File::create(output.temporary_path());
  file.write_strings("parameter_names", samples.parameter_names);
  file.write_strings("observable_names", samples.observable_names);
  file.write_matrix("x", samples.x);
  file.write_matrix("theta0", samples.theta0);
  const FieldUse use = fields_of(samples.kind);
  if (use.theta1) file.write_matrix("theta1", samples.theta1);
  if (use.y) file.write_vector("y", samples.y);
  if (use.r_xz) file.write_vector("r_xz", samples.r_xz);
  if (use.t_xz0) file.write_matrix("t_xz0", samples.t_xz0);
  if (use.t_xz1) file.write_matrix("t_xz1", samples.t_xz1);
  file.write_strings("metadata/kind", {std::string(to_string(samples.kind))});
  file.write_strings("metadata/partition", {std::string(to_string(samples.partition))});
  file.write_int_scalar("metadata/seed", static_cast<std::int64_t>(samples.seed));
  file.write_strings("metadata/source", {samples.source}, std::max<std::size_t>(256, samples.source.size()));
  file.write_strings("metadata/settings", {samples.settings}, std::max<std::size_t>(256, samples.settings.size()));
  file.write_strings("metadata/sbi_version", {sbi::version});
  file.close();
  output.commit();
}

AugmentedSamples read_samples(const std::filesystem::path& path) {
  const h5::File file = h5::File::open_read(path);
  for (const char* required : {"metadata/kind", "x", "theta0", "parameter_names"})
    if (!file.has(required))
      throw FormatError(fmt::format("'{}' has no dataset {}; it is not an sbi samples file (sbi augment writes them)",
                                    path.string(), required));
  AugmentedSamples samples;
  const auto single_string = [&](const char* name) {
    const auto values = file.read_strings(name);
    if (values.size() != 1) throw FormatError(fmt::format("'{}', dataset {}: expected one string", path.string(), name));
    return values[0];
  };
  try {
    samples.kind = parse_sample_kind(single_string("metadata/kind"));
    if (file.has("metadata/partition")) samples.partition = parse_partition(single_string("metadata/partition"));
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("'{}': {}", path.string(), e.what()));
  }
  if (file.has("metadata/seed")) samples.seed = static_cast<std::uint64_t>(file.read_int_matrix("metadata/seed")(0, 0));
  if (file.has("metadata/source")) samples.source = single_string("metadata/source");
  if (file.has("metadata/settings")) samples.settings = single_string("metadata/settings");
  samples.parameter_names = file.read_strings("parameter_names");
  if (file.has("observable_names")) samples.observable_names = file.read_strings("observable_names");
  samples.x = file.read_matrix("x");
  samples.theta0 = file.read_matrix("theta0");
  const FieldUse use = fields_of(samples.kind);
  auto column = [&](const char* name) -> Vector {
    const RowMatrix m = file.read_matrix(name);
    return Eigen::Map<const Vector>(m.data(), m.size());
  };
  if (use.theta1) samples.theta1 = file.read_matrix("theta1");
  if (use.y) samples.y = column("y");
  if (use.r_xz) samples.r_xz = column("r_xz");
  if (use.t_xz0) samples.t_xz0 = file.read_matrix("t_xz0");
  if (use.t_xz1) samples.t_xz1 = file.read_matrix("t_xz1");
  try {
    samples.validate();
  } catch (const Error& e) {
    throw FormatError(fmt::format("'{}': {}", path.string(), e.what()));
  }
  return samples;
}

std::vector<std::filesystem::path> export_madminer_npy(const AugmentedSamples& samples, const std::filesystem::path& folder,
                                                       const std::string& name) {
  samples.validate();
  std::filesystem::create_directories(folder);
  std::vector<std::filesystem::path> written;
  auto save = [&](const std::string& field, const RowMatrix& m) {
    const auto path = folder / fmt::format("{}_{}.npy", field, name);
    write_npy(path, m);
    written.push_back(path);
  };
  auto column = [](const Vector& v) { return RowMatrix(Eigen::Map<const RowMatrix>(v.data(), v.size(), 1)); };
  const bool ratio_kind = samples.kind == SampleKind::Ratio || samples.kind == SampleKind::MoreRatios;
  if (ratio_kind) {
    save("theta0", samples.theta0);
    save("theta1", samples.theta1);
  } else {
    save("theta", samples.theta0);
  }
  save("x", samples.x);
  if (ratio_kind) {
    save("y", column(samples.y));
    save("r_xz", column(samples.r_xz));
  }
  if (samples.kind == SampleKind::MoreRatios) {
    save("t_xz0", samples.t_xz0);
    save("t_xz1", samples.t_xz1);
  } else if (samples.t_xz0.size() > 0) {
    save("t_xz", samples.t_xz0);
  }
  return written;
}

}  // namespace sbi
