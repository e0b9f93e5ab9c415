// Model files: sbi's HDF5 estimator format (one or many members), and MadMiner's estimator files.
//
// Layout (format "sbi-estimator", format_version 1):
//   format, format_version, sbi_version, n_members
//   members/<i>/{method, activation}                    strings
//   members/<i>/{hidden}                                int64 (layers)
//   members/<i>/{n_observables, n_parameters, seed}     int64 scalars
//   members/<i>/layers/<l>/{weight, bias}               float64 holding the fp32 values exactly
//   members/<i>/{x_means, x_stds, theta_means, theta_stds, reference_theta}   float64
//   members/<i>/{observable_names, parameter_names}     S256
//   members/<i>/created_by                              sbi version that trained it
//   members/<i>/training/options                        the TrainingOptions as JSON text
//   members/<i>/training/{best_epoch, reason, message, backend, threads, n_train, n_validation,
//                         seconds, samples_per_second, best_validation_loss, loss_terms}
//   members/<i>/training/history/{epoch, learning_rate, train_loss, validation_loss, seconds,
//                                 train_loss_terms, validation_loss_terms}
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "estimator_impl.hpp"
#include "hdf5_handles.hpp"
#include "sbi/atomic_file.hpp"
#include "sbi/error.hpp"
#include "sbi/npy.hpp"
#include "sbi/version.hpp"

namespace sbi {

namespace {

constexpr const char* format_name = "sbi-estimator";
constexpr std::int64_t format_version = 1;

nlohmann::json options_json(const TrainingOptions& o) {
  return {{"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"optimizer", to_string(o.optimizer)},
          {"initial_lr", o.initial_lr},
          {"final_lr", o.final_lr},
          {"nesterov_momentum", o.nesterov_momentum},
          {"validation_split", o.validation_split},
          {"early_stopping", o.early_stopping},
          {"early_stopping_patience", o.early_stopping_patience},
          {"clip_gradient", o.clip_gradient},
          {"alpha", o.alpha},
          {"log_r_clip", o.log_r_clip},
          {"scale_inputs", o.scale_inputs},
          {"limit_samplesize", o.limit_samplesize},
          {"seed", o.seed},
          {"threads", o.threads},
          {"device", to_string(o.device)},
          {"backend", to_string(o.backend)}};
}

TrainingOptions options_from_json(const nlohmann::json& j) {
  TrainingOptions o;
  o.epochs = j.value("epochs", o.epochs);
  o.batch_size = j.value("batch_size", o.batch_size);
  o.optimizer = parse_optimizer(j.value("optimizer", std::string(to_string(o.optimizer))));
  o.initial_lr = j.value("initial_lr", o.initial_lr);
  o.final_lr = j.value("final_lr", o.final_lr);
  o.nesterov_momentum = j.value("nesterov_momentum", o.nesterov_momentum);
  o.validation_split = j.value("validation_split", o.validation_split);
  o.early_stopping = j.value("early_stopping", o.early_stopping);
  o.early_stopping_patience = j.value("early_stopping_patience", o.early_stopping_patience);
  o.clip_gradient = j.value("clip_gradient", o.clip_gradient);
  o.alpha = j.value("alpha", o.alpha);
  o.log_r_clip = j.value("log_r_clip", o.log_r_clip);
  o.scale_inputs = j.value("scale_inputs", o.scale_inputs);
  o.limit_samplesize = j.value("limit_samplesize", o.limit_samplesize);
  o.seed = j.value("seed", o.seed);
  o.threads = j.value("threads", o.threads);
  o.device = parse_device(j.value("device", std::string("cpu")));
  o.backend = parse_backend(j.value("backend", std::string("auto")));
  return o;
}

RowMatrix to_double(const detail::FMatrix& m) { return m.cast<double>(); }

/// fp32 values stored as float64: converts back exactly, and fails for values that are not floats.
detail::FMatrix to_float(const RowMatrix& m, const h5::File& file, const std::string& name) {
  detail::FMatrix out = m.cast<float>();
  for (Index i = 0; i < m.size(); ++i)
    if (static_cast<double>(out.data()[i]) != m.data()[i] && !(std::isnan(m.data()[i])))
      throw FormatError(fmt::format("'{}': dataset {} entry {} = {} is not an fp32 value: the file was not written by sbi",
                                    file.path().string(), name, i, m.data()[i]));
  return out;
}

void write_member(h5::File& file, const std::string& g, const Estimator::Impl& e) {
  file.write_strings(g + "/method", {std::string(to_string(e.method))});
  file.write_strings(g + "/activation", {std::string(to_string(e.network.activation))});
  file.write_int_vector(g + "/hidden", std::vector<std::int64_t>(e.network.hidden.begin(), e.network.hidden.end()));
  file.write_int_scalar(g + "/n_observables", e.n_observables);
  file.write_int_scalar(g + "/n_parameters", e.n_parameters);
  file.write_int_scalar(g + "/seed", static_cast<std::int64_t>(e.seed));
  for (std::size_t l = 0; l < e.parameters.weights.size(); ++l) {
    file.write_matrix(fmt::format("{}/layers/{}/weight", g, l), to_double(e.parameters.weights[l]));
    file.write_vector(fmt::format("{}/layers/{}/bias", g, l), e.parameters.biases[l].cast<double>());
  }
  file.write_vector(g + "/x_means", e.scalings.x_means);
  file.write_vector(g + "/x_stds", e.scalings.x_stds);
  file.write_vector(g + "/theta_means", e.scalings.theta_means);
  file.write_vector(g + "/theta_stds", e.scalings.theta_stds);
  file.write_int_scalar(g + "/scaled", e.scaled ? 1 : 0);
  if (e.reference_theta.size() > 0) file.write_vector(g + "/reference_theta", e.reference_theta);
  if (!e.observable_names.empty()) file.write_strings(g + "/observable_names", e.observable_names);
  if (!e.parameter_names.empty()) file.write_strings(g + "/parameter_names", e.parameter_names);
  file.write_strings(g + "/created_by", {e.created_by});

  const std::string t = g + "/training";
  const std::string options = options_json(e.training_options).dump();
  file.write_strings(t + "/options", {options}, options.size() + 1);
  const TrainingSummary& s = e.summary;
  file.write_int_scalar(t + "/best_epoch", s.best_epoch);
  file.write_double_scalar(t + "/best_validation_loss", s.best_validation_loss);
  file.write_strings(t + "/reason", {std::string(to_string(s.reason))});
  file.write_strings(t + "/message", {s.message}, std::max<std::size_t>(256, s.message.size() + 1));
  file.write_strings(t + "/backend", {s.backend.empty() ? std::string("none") : s.backend});
  file.write_int_scalar(t + "/threads", s.threads);
  file.write_int_scalar(t + "/n_train", s.n_train);
  file.write_int_scalar(t + "/n_validation", s.n_validation);
  file.write_double_scalar(t + "/seconds", s.seconds);
  file.write_double_scalar(t + "/samples_per_second", s.samples_per_second);
  if (!s.loss_terms.empty()) file.write_strings(t + "/loss_terms", s.loss_terms);
  if (!s.history.empty()) {
    const auto n = static_cast<Index>(s.history.size());
    const auto k = static_cast<Index>(s.loss_terms.size());
    Vector epoch(n), lr(n), train(n), validation(n), seconds(n);
    RowMatrix train_terms = RowMatrix::Constant(n, std::max<Index>(k, 1), NAN);
    RowMatrix validation_terms = RowMatrix::Constant(n, std::max<Index>(k, 1), NAN);
    for (Index i = 0; i < n; ++i) {
      const EpochRecord& r = s.history[static_cast<std::size_t>(i)];
      epoch(i) = static_cast<double>(r.epoch);
      lr(i) = r.learning_rate;
      train(i) = r.train_loss;
      validation(i) = r.validation_loss;
      seconds(i) = r.seconds;
      for (Index j = 0; j < k; ++j) {
        if (j < static_cast<Index>(r.train_loss_terms.size())) train_terms(i, j) = r.train_loss_terms[static_cast<std::size_t>(j)];
        if (j < static_cast<Index>(r.validation_loss_terms.size()))
          validation_terms(i, j) = r.validation_loss_terms[static_cast<std::size_t>(j)];
      }
    }
    file.write_vector(t + "/history/epoch", epoch);
    file.write_vector(t + "/history/learning_rate", lr);
    file.write_vector(t + "/history/train_loss", train);
    file.write_vector(t + "/history/validation_loss", validation);
    file.write_vector(t + "/history/seconds", seconds);
    file.write_matrix(t + "/history/train_loss_terms", train_terms);
    file.write_matrix(t + "/history/validation_loss_terms", validation_terms);
  }
}

std::string read_string(const h5::File& file, const std::string& name) {
  const auto v = file.read_strings(name);
  if (v.size() != 1)
    throw FormatError(fmt::format("'{}': dataset {} holds {} strings, expected 1", file.path().string(), name, v.size()));
  return v[0];
}

std::int64_t read_int(const h5::File& file, const std::string& name) {
  const IntRowMatrix m = file.read_int_matrix(name);
  if (m.size() != 1)
    throw FormatError(fmt::format("'{}': dataset {} holds {} values, expected 1", file.path().string(), name, m.size()));
  return m(0, 0);
}

double read_double(const h5::File& file, const std::string& name) {
  const RowMatrix m = file.read_matrix(name);
  if (m.size() != 1)
    throw FormatError(fmt::format("'{}': dataset {} holds {} values, expected 1", file.path().string(), name, m.size()));
  return m(0, 0);
}

Vector read_vector(const h5::File& file, const std::string& name, Index expected) {
  const RowMatrix m = file.read_matrix(name);
  if (m.cols() != 1 || (expected >= 0 && m.rows() != expected))
    throw FormatError(fmt::format("'{}': dataset {} has shape ({}, {}), expected ({})", file.path().string(), name, m.rows(),
                                  m.cols(), expected));
  return m.col(0);
}

std::unique_ptr<Estimator::Impl> read_member(const h5::File& file, const std::string& g) {
  auto e = std::make_unique<Estimator::Impl>();
  const std::string where = file.path().string();
  try {
    e->method = parse_estimator_method(read_string(file, g + "/method"));
    e->network.activation = parse_activation(read_string(file, g + "/activation"));
  } catch (const InvalidArgument& error) {
    throw FormatError(fmt::format("'{}': {} in {}", where, error.what(), g));
  }
  const IntRowMatrix hidden = file.read_int_matrix(g + "/hidden");
  e->network.hidden.assign(hidden.data(), hidden.data() + hidden.size());
  e->n_observables = read_int(file, g + "/n_observables");
  e->n_parameters = read_int(file, g + "/n_parameters");
  e->seed = static_cast<std::uint64_t>(read_int(file, g + "/seed"));
  if (e->n_observables < 1 || e->n_parameters < 1 || e->network.hidden.empty())
    throw FormatError(fmt::format("'{}': {} describes an impossible network ({} observables, {} parameters, {} layers)",
                                  where, g, e->n_observables, e->n_parameters, e->network.hidden.size()));
  for (std::size_t i = 0; i < e->network.hidden.size(); ++i)
    if (e->network.hidden[i] < 1)
      throw FormatError(fmt::format("'{}': {}/hidden[{}] = {}: must be >= 1", where, g, i, e->network.hidden[i]));
  e->shape = Estimator::Impl::shape_for(e->method, e->n_observables, e->n_parameters, e->network);
  e->parameters = detail::MlpParameters::zeros(e->shape);
  for (Index l = 0; l < e->shape.n_layers(); ++l) {
    const std::string w = fmt::format("{}/layers/{}/weight", g, l), b = fmt::format("{}/layers/{}/bias", g, l);
    const RowMatrix weight = file.read_matrix(w);
    if (weight.rows() != e->shape.fan_out(l) || weight.cols() != e->shape.fan_in(l))
      throw FormatError(fmt::format("'{}': dataset {} has shape ({}, {}); the architecture needs ({}, {})", where, w,
                                    weight.rows(), weight.cols(), e->shape.fan_out(l), e->shape.fan_in(l)));
    e->parameters.weights[static_cast<std::size_t>(l)] = to_float(weight, file, w);
    e->parameters.biases[static_cast<std::size_t>(l)] =
        to_float(read_vector(file, b, e->shape.fan_out(l)), file, b).col(0);
  }
  if (file.has(fmt::format("{}/layers/{}/weight", g, e->shape.n_layers())))
    throw FormatError(fmt::format("'{}': {} has more layers than its hidden sizes describe", where, g));
  if (!e->parameters.all_finite())
    throw FormatError(fmt::format("'{}': {} has NaN or infinite weights", where, g));
  e->scalings.x_means = read_vector(file, g + "/x_means", e->n_observables);
  e->scalings.x_stds = read_vector(file, g + "/x_stds", e->n_observables);
  e->scalings.theta_means = read_vector(file, g + "/theta_means", e->n_parameters);
  e->scalings.theta_stds = read_vector(file, g + "/theta_stds", e->n_parameters);
  for (const Vector* s : {&e->scalings.x_stds, &e->scalings.theta_stds})
    for (Index i = 0; i < s->size(); ++i)
      if (!((*s)(i) > 0) || !std::isfinite((*s)(i)))
        throw FormatError(fmt::format("'{}': {} holds a scale {} that is not positive and finite", where, g, (*s)(i)));
  e->scaled = read_int(file, g + "/scaled") != 0;
  if (file.has(g + "/reference_theta")) e->reference_theta = read_vector(file, g + "/reference_theta", e->n_parameters);
  if (file.has(g + "/observable_names")) e->observable_names = file.read_strings(g + "/observable_names");
  if (file.has(g + "/parameter_names")) e->parameter_names = file.read_strings(g + "/parameter_names");
  if (!e->observable_names.empty() && static_cast<Index>(e->observable_names.size()) != e->n_observables)
    throw FormatError(fmt::format("'{}': {}/observable_names has {} names for {} observables", where, g,
                                  e->observable_names.size(), e->n_observables));
  e->created_by = read_string(file, g + "/created_by");

  const std::string t = g + "/training";
  try {
    e->training_options = options_from_json(nlohmann::json::parse(read_string(file, t + "/options")));
  } catch (const nlohmann::json::exception& error) {
    throw FormatError(fmt::format("'{}': {}/options is not valid JSON: {}", where, t, error.what()));
  }
  TrainingSummary& s = e->summary;
  s.best_epoch = read_int(file, t + "/best_epoch");
  s.best_validation_loss = read_double(file, t + "/best_validation_loss");
  const std::string reason = read_string(file, t + "/reason");
  for (auto r : {StopReason::Completed, StopReason::EarlyStopping, StopReason::NonFinite,
                 StopReason::Interrupted})
    if (to_string(r) == reason) s.reason = r;
  s.message = read_string(file, t + "/message");
  s.backend = read_string(file, t + "/backend");
  s.threads = static_cast<int>(read_int(file, t + "/threads"));
  s.n_train = read_int(file, t + "/n_train");
  s.n_validation = read_int(file, t + "/n_validation");
  s.seconds = read_double(file, t + "/seconds");
  s.samples_per_second = read_double(file, t + "/samples_per_second");
  if (file.has(t + "/loss_terms")) s.loss_terms = file.read_strings(t + "/loss_terms");
  if (file.has(t + "/history/epoch")) {
    const Vector epoch = read_vector(file, t + "/history/epoch", -1);
    const Index n = epoch.size();
    const Vector lr = read_vector(file, t + "/history/learning_rate", n);
    const Vector train = read_vector(file, t + "/history/train_loss", n);
    const Vector validation = read_vector(file, t + "/history/validation_loss", n);
    const Vector seconds = read_vector(file, t + "/history/seconds", n);
    const RowMatrix train_terms = file.read_matrix(t + "/history/train_loss_terms");
    const RowMatrix validation_terms = file.read_matrix(t + "/history/validation_loss_terms");
    const auto k = static_cast<Index>(s.loss_terms.size());
    if (train_terms.rows() != n || validation_terms.rows() != n || train_terms.cols() < k || validation_terms.cols() < k)
      throw FormatError(fmt::format("'{}': {}/history has inconsistent shapes", where, t));
    for (Index i = 0; i < n; ++i) {
      EpochRecord r;
      r.epoch = static_cast<Index>(epoch(i));
      r.learning_rate = lr(i);
      r.train_loss = train(i);
      r.validation_loss = validation(i);
      r.seconds = seconds(i);
      for (Index j = 0; j < k; ++j) {
        r.train_loss_terms.push_back(train_terms(i, j));
        if (!std::isnan(validation_terms(i, j))) r.validation_loss_terms.push_back(validation_terms(i, j));
      }
      s.history.push_back(std::move(r));
    }
  }
  return e;
}

void write_header(h5::File& file, std::int64_t members) {
  file.write_strings("format", {format_name});
  file.write_int_scalar("format_version", format_version);
  file.write_strings("sbi_version", {version});
  file.write_int_scalar("n_members", members);
}

/// Opens a model file and checks its format; returns the number of members.
std::int64_t open_model(const h5::File& file) {
  const std::string where = file.path().string();
  if (!file.has("format"))
    throw FormatError(fmt::format("'{}' is not an sbi estimator file (no dataset 'format'; `sbi train` writes them)", where));
  const std::string format = read_string(file, "format");
  if (format != format_name)
    throw FormatError(fmt::format("'{}' is not an sbi estimator file (format = '{}', expected '{}')", where, format,
                                  format_name));
  const std::int64_t v = read_int(file, "format_version");
  const std::string written_by = file.has("sbi_version") ? read_string(file, "sbi_version") : std::string("unknown");
  if (v != format_version)
    throw FormatError(fmt::format("'{}' has estimator format version {} (written by sbi {}); this sbi {} reads version {}{}",
                                  where, v, written_by, version, format_version,
                                  v > format_version ? ": update sbi to read it" : ""));
  const std::int64_t members = read_int(file, "n_members");
  if (members < 1 || members > 100000)
    throw FormatError(fmt::format("'{}': n_members = {} is not plausible", where, members));
  return members;
}

void write_json(const std::filesystem::path& path, const nlohmann::json& j) { write_text_file_atomically(path, j.dump()); }

}  // namespace

void Estimator::save(const std::filesystem::path& path) const { Ensemble({*this}).save(path); }

Estimator Estimator::load(const std::filesystem::path& path) {
  const h5::File file = h5::File::open_read(path);
  const std::int64_t members = open_model(file);
  if (members != 1)
    throw FormatError(fmt::format("'{}' holds an ensemble of {} estimators: load it with Ensemble::load", path.string(),
                                  members));
  return Estimator(read_member(file, "members/0"));
}

void Ensemble::save(const std::filesystem::path& path) const {
  if (members_.empty()) throw InvalidArgument("save: the ensemble is empty");
  AtomicOutput output(path);
  h5::File file = h5::File::create(output.temporary_path());
  write_header(file, static_cast<std::int64_t>(members_.size()));
  for (std::size_t i = 0; i < members_.size(); ++i) write_member(file, fmt::format("members/{}", i), members_[i].impl());
  file.close();
  output.commit();
}

Ensemble Ensemble::load(const std::filesystem::path& path) {
  const h5::File file = h5::File::open_read(path);
  const std::int64_t members = open_model(file);
  std::vector<Estimator> loaded;
  for (std::int64_t i = 0; i < members; ++i) loaded.push_back(Estimator(read_member(file, fmt::format("members/{}", i))));
  try {
    return Ensemble(std::move(loaded));
  } catch (const InvalidArgument& error) {
    throw FormatError(fmt::format("'{}': {}", path.string(), error.what()));
  }
}

std::vector<std::filesystem::path> Estimator::export_madminer(const std::filesystem::path& prefix) const {
  const Impl& e = *impl_;
  const std::string activation(to_string(e.network.activation));
  if (activation != "tanh" && activation != "relu" && activation != "sigmoid")
    throw InvalidArgument(fmt::format("export_madminer: MadMiner knows the activations tanh, relu and sigmoid, not {}",
                                      activation));
  if (prefix.has_parent_path()) std::filesystem::create_directories(prefix.parent_path());
  const std::string p = prefix.string();
  std::vector<std::filesystem::path> written;
  // MadMiner's Estimator._wrap_settings plus the estimator type of ScoreEstimator /
  // ParameterizedRatioEstimator.
  nlohmann::json settings = {{"n_observables", e.n_observables},
                             {"n_parameters", e.n_parameters},
                             {"features", nullptr},
                             {"n_hidden", e.network.hidden},
                             {"activation", activation},
                             {"dropout_prob", 0.0}};
  if (is_score_method(e.method)) {
    settings["estimator_type"] = "score";
    settings["nuisance_mode_default"] = "keep";
  } else {
    settings["estimator_type"] = "parameterized_ratio";
  }
  written.emplace_back(p + "_settings.json");
  write_json(written.back(), settings);
  written.emplace_back(p + "_x_means.npy");
  write_npy(written.back(), e.scalings.x_means);
  written.emplace_back(p + "_x_stds.npy");
  write_npy(written.back(), e.scalings.x_stds);
  if (!is_score_method(e.method)) {
    written.emplace_back(p + "_theta_means.npy");
    write_npy(written.back(), e.scalings.theta_means);
    written.emplace_back(p + "_theta_stds.npy");
    write_npy(written.back(), e.scalings.theta_stds);
  }
  written.emplace_back(p + "_state_dict.pt");
  {
    const std::vector<char> bytes = detail::torch_state_dict_bytes(e.parameters);
    AtomicOutput output(written.back());
    std::ofstream out(output.temporary_path(), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw FileError(fmt::format("cannot write '{}'", written.back().string()));
    output.commit();
  }
  return written;
}

}  // namespace sbi

namespace sbi {

EvaluationResult evaluate(const Ensemble& estimator, const RowMatrix& x, const RowMatrix& thetas, bool with_score,
                          int threads) {
  if (estimator.size() == 0) throw InvalidArgument("evaluate: the ensemble is empty");
  const Estimator& first = estimator[0];
  EvaluationResult r;
  r.method = first.method();
  r.parameter_names = first.parameter_names();
  r.observable_names = first.observable_names();
  r.n_members = estimator.size();
  if (estimator.is_score_estimator()) {
    if (first.reference_theta().size() > 0) r.thetas = first.reference_theta().transpose();
    const EnsembleScore s = estimator.evaluate_score(x, threads);
    r.t = s.mean;
    r.t_variance = s.variance;
  } else {
    if (thetas.rows() == 0) throw InvalidArgument("evaluate: a ratio estimator needs at least one theta");
    r.thetas = thetas;
    const EnsembleRatio e = estimator.evaluate_log_ratio(x, thetas, with_score, threads);
    r.log_r = e.mean;
    r.log_r_variance = e.variance;
    r.t = e.score_mean;
    r.t_variance = e.score_variance;
  }
  return r;
}

void write_evaluation(const std::filesystem::path& path, const EvaluationResult& r) {
  AtomicOutput output(path);
  h5::File file = h5::File::create(output.temporary_path());
  if (r.thetas.size() > 0) file.write_matrix("thetas", r.thetas);
  if (r.log_r.size() > 0) {
    file.write_matrix("log_r_hat", r.log_r);
    file.write_matrix("log_r_hat_variance", r.log_r_variance);
  }
  if (r.t.size() > 0) {
    file.write_matrix("t_hat", r.t);
    file.write_matrix("t_hat_variance", r.t_variance);
  }
  if (!r.parameter_names.empty()) file.write_strings("parameter_names", r.parameter_names);
  if (!r.observable_names.empty()) file.write_strings("observable_names", r.observable_names);
  file.write_strings("metadata/method", {std::string(to_string(r.method))});
  file.write_int_scalar("metadata/n_members", r.n_members);
  file.write_strings("metadata/model", {r.model}, std::max<std::size_t>(256, r.model.size() + 1));
  file.write_strings("metadata/input", {r.input}, std::max<std::size_t>(256, r.input.size() + 1));
  file.write_strings("metadata/sbi_version", {version});
  file.close();
  output.commit();
}

EvaluationResult read_evaluation(const std::filesystem::path& path) {
  const h5::File file = h5::File::open_read(path);
  if (!file.has("metadata/method"))
    throw FormatError(fmt::format("'{}' is not an sbi evaluation file (no metadata/method; `sbi evaluate` writes them)",
                                  path.string()));
  EvaluationResult r;
  try {
    r.method = parse_estimator_method(read_string(file, "metadata/method"));
  } catch (const InvalidArgument& e) {
    throw FormatError(fmt::format("'{}': metadata/method: {}", path.string(), e.what()));
  }
  r.n_members = read_int(file, "metadata/n_members");
  r.model = read_string(file, "metadata/model");
  r.input = read_string(file, "metadata/input");
  if (file.has("thetas")) r.thetas = file.read_matrix("thetas");
  if (file.has("log_r_hat")) {
    r.log_r = file.read_matrix("log_r_hat");
    r.log_r_variance = file.read_matrix("log_r_hat_variance");
  }
  if (file.has("t_hat")) {
    r.t = file.read_matrix("t_hat");
    r.t_variance = file.read_matrix("t_hat_variance");
  }
  if (file.has("parameter_names")) r.parameter_names = file.read_strings("parameter_names");
  if (file.has("observable_names")) r.observable_names = file.read_strings("observable_names");
  return r;
}

}  // namespace sbi
