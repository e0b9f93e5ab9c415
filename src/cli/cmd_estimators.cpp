// `sbi train METHOD SAMPLES.h5… --out MODEL.h5` and `sbi evaluate MODEL.h5 INPUT.h5 --out FILE.h5`:
// the neural estimators from the command line (include/sbi/estimators.hpp).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "sbi/error.hpp"
#include "sbi/estimators.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/samples.hpp"

namespace sbi::cli {

namespace {

std::vector<double> parse_numbers(const std::string& text, const std::string& flag) {
  std::vector<double> values;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string token = text.substr(start, comma - start);
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(token, &used);
    } catch (const std::logic_error&) {
      used = 0;
    }
    if (token.empty() || used != token.size())
      throw InvalidArgument(fmt::format("{} {}: '{}' is not a number", flag, text, token));
    values.push_back(v);
    start = comma + 1;
  }
  return values;
}

std::vector<Index> parse_layers(const std::string& text) {
  std::vector<Index> layers;
  for (double v : parse_numbers(text, "--hidden")) {
    if (v != std::floor(v) || v < 1)
      throw InvalidArgument(fmt::format("--hidden {}: {} is not a positive number of units", text, v));
    layers.push_back(static_cast<Index>(v));
  }
  return layers;
}

// Ctrl-C during training: finish the epoch, keep the best state, write the model.
volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int) { interrupted = 1; }

nlohmann::ordered_json summary_json(const TrainingSummary& s) {
  nlohmann::ordered_json j;
  j["epochs"] = s.history.size();
  j["best_epoch"] = s.best_epoch + 1;
  j["best_validation_loss"] = std::isfinite(s.best_validation_loss) ? nlohmann::ordered_json(s.best_validation_loss)
                                                                    : nlohmann::ordered_json(nullptr);
  j["reason"] = std::string(to_string(s.reason));
  j["message"] = s.message;
  j["n_train"] = s.n_train;
  j["n_validation"] = s.n_validation;
  j["seconds"] = s.seconds;
  j["samples_per_second"] = s.samples_per_second;
  j["backend"] = s.backend;
  j["threads"] = s.threads;
  j["loss_terms"] = s.loss_terms;
  auto finite_or_null = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
  j["history"] = nlohmann::ordered_json::array();
  for (const auto& r : s.history)
    j["history"].push_back({{"epoch", r.epoch + 1},
                            {"learning_rate", r.learning_rate},
                            {"train_loss", finite_or_null(r.train_loss)},
                            {"validation_loss", finite_or_null(r.validation_loss)}});
  return j;
}

/// Reads observations from an sbi samples file (x) or a MadMiner events file (samples/observations).
struct Observations {
  RowMatrix x;
  std::vector<std::string> names;
  std::string kind;
};

Observations read_observations(const std::string& path) {
  try {
    AugmentedSamples s = read_samples(path);
    return {std::move(s.x), std::move(s.observable_names), "samples"};
  } catch (const FormatError&) {
    // Not a samples file: try MadMiner's layout below.
  }
  MadMinerFile file = read_madminer_file(path);
  if (!file.events)
    throw InvalidArgument(fmt::format("'{}' holds no events (no samples/observations): nothing to evaluate", path));
  return {std::move(file.events->observations), file.setup.observable_names(), "events"};
}

void check_observables(const Estimator& model, const Observations& input, const std::string& model_path,
                       const std::string& input_path) {
  if (input.x.cols() != model.n_observables())
    throw InvalidArgument(fmt::format("'{}' has {} observables but the model '{}' takes {}", input_path, input.x.cols(),
                                      model_path, model.n_observables()));
  const auto& expected = model.observable_names();
  if (expected.empty() || input.names.empty()) return;
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (input.names[i] != expected[i])
      throw InvalidArgument(fmt::format("observable {} of '{}' is '{}' but the model '{}' was trained on '{}' there",
                                        i, input_path, input.names[i], model_path, expected[i]));
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "train", "Train a neural estimator (sally, sallino, carl, rolr, alice, alices, cascal, rascal) on augmented samples");
  struct Arguments {
    std::string method;
    std::vector<std::string> samples;
    std::string out, validation, export_madminer;
    std::string hidden = "100,100", activation = "tanh", optimizer = "amsgrad", device = "cpu", backend = "auto";
    TrainingOptions options;
    Index ensemble = 1;
    bool bootstrap = false, json = false, quiet = false;
  };
  auto a = std::make_shared<Arguments>();
  a->options.progress = -1;
  command->add_option("METHOD", a->method, "sally, sallino, carl, rolr, alice, alices, cascal or rascal")->required();
  command->add_option("SAMPLES", a->samples,
                      "Augmented samples (sbi augment local|ratio); one file, or one per ensemble member")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--out", a->out, "Model file to write (HDF5; an ensemble's members in one file)")->required();
  command->add_option("--hidden", a->hidden, "Units per hidden layer, comma-separated")->capture_default_str();
  command->add_option("--activation", a->activation, "tanh, sigmoid, relu, softplus, lrelu or elu")->capture_default_str();
  command->add_option("--epochs", a->options.epochs, "Passes over the training data")->capture_default_str();
  command->add_option("--batch-size", a->options.batch_size, "Samples per mini-batch")->capture_default_str();
  command->add_option("--optimizer", a->optimizer, "amsgrad, adam or sgd")->capture_default_str();
  command->add_option("--initial-lr", a->options.initial_lr, "Learning rate of the first epoch")->capture_default_str();
  command->add_option("--final-lr", a->options.final_lr, "Learning rate of the last epoch (exponential decay)")
      ->capture_default_str();
  command->add_option("--alpha", a->options.alpha, "Weight of the score term (alices, cascal, rascal)")->capture_default_str();
  command->add_option("--validation-split", a->options.validation_split, "Fraction held out for early stopping")
      ->capture_default_str();
  command->add_option("--validation", a->validation, "Separate validation samples (replaces the split)")
      ->check(CLI::ExistingFile);
  command->add_option("--patience", a->options.early_stopping_patience,
                      "Stop after this many epochs without improvement (0 = run all epochs, keep the best)")
      ->capture_default_str();
  command->add_flag("!--no-early-stopping", a->options.early_stopping, "Keep the last epoch instead of the best");
  command->add_option("--clip-gradient", a->options.clip_gradient, "Clip the gradient norm (0 = off)")->capture_default_str();
  command->add_option("--limit", a->options.limit_samplesize, "Use at most this many samples (0 = all)")->capture_default_str();
  command->add_option("--ensemble", a->ensemble, "Number of ensemble members (seeds seed, seed+1, ...)")->capture_default_str();
  command->add_flag("--bootstrap", a->bootstrap, "With one samples file: each member trains on a bootstrap resample");
  command->add_option("--seed", a->options.seed, "Seed of the weights, split and batches")->capture_default_str();
  command->add_option("--threads", a->options.threads, "Threads (0 = all cores)")->capture_default_str();
  command->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  command->add_option("--backend", a->backend, "auto (native on the CPU, torch on CUDA), native or torch")->capture_default_str();
  command->add_option("--export-madminer", a->export_madminer,
                      "Also write MadMiner's estimator files <PREFIX>_settings.json, _state_dict.pt, ... (member i: "
                      "<PREFIX>_<i>_... for an ensemble)");
  command->add_flag("--json", a->json, "Print the training summaries as JSON");
  command->add_flag("--quiet", a->quiet, "No progress bar");
  command->callback([a] {
    const EstimatorMethod method = parse_estimator_method(a->method);
    TrainingOptions options = a->options;
    options.optimizer = parse_optimizer(a->optimizer);
    options.device = parse_device(a->device);
    options.backend = parse_backend(a->backend);
    if (a->quiet || a->json) options.progress = 0;
    options.validate();
    NetworkOptions network{parse_layers(a->hidden), parse_activation(a->activation)};
    network.validate();
    if (a->ensemble < 1) throw InvalidArgument(fmt::format("--ensemble {}: must be >= 1", a->ensemble));
    if (a->samples.size() != 1 && static_cast<Index>(a->samples.size()) != a->ensemble)
      throw InvalidArgument(fmt::format("{} samples files for --ensemble {}: give one file, or one per member",
                                        a->samples.size(), a->ensemble));

    std::vector<AugmentedSamples> samples;
    for (const auto& path : a->samples) samples.push_back(read_samples(path));
    const AugmentedSamples& first = samples.front();
    for (std::size_t i = 1; i < samples.size(); ++i)
      if (samples[i].observable_names != first.observable_names || samples[i].parameter_names != first.parameter_names)
        throw InvalidArgument(fmt::format("'{}' has other observables or parameters than '{}'", a->samples[i], a->samples[0]));
    std::optional<AugmentedSamples> validation;
    if (!a->validation.empty()) validation = read_samples(a->validation);

    Ensemble ensemble(method, first.x.cols(), first.n_parameters(), EnsembleOptions{a->ensemble, a->bootstrap}, network,
                      options.seed);
    if (!a->json)
      fmt::print("sbi train: {} on {} samples ({} observables, {} parameters), network [{}] {}, {} member{}\n",
                 to_string(method), first.size(), first.x.cols(), first.n_parameters(), fmt::join(network.hidden, ", "),
                 to_string(network.activation), a->ensemble, a->ensemble == 1 ? "" : "s");
    interrupted = 0;
    const auto previous = std::signal(SIGINT, on_interrupt);
    const EpochCallback keep_going = [](const EpochRecord&) { return interrupted == 0; };
    std::vector<TrainingSummary> summaries;
    try {
      if (validation) {
        // A separate validation sample: members train one by one (each against it).
        for (Index i = 0; i < ensemble.size(); ++i) {
          TrainingOptions o = options;
          o.seed = options.seed + static_cast<std::uint64_t>(i);
          summaries.push_back(ensemble.members()[static_cast<std::size_t>(i)].train(
              samples[samples.size() == 1 ? 0 : static_cast<std::size_t>(i)], o, &*validation, keep_going));
        }
      } else {
        summaries = ensemble.train(samples, options, a->bootstrap, keep_going);
      }
    } catch (...) {
      std::signal(SIGINT, previous);
      throw;
    }
    std::signal(SIGINT, previous);
    ensemble.save(a->out);
    std::vector<std::filesystem::path> exported;
    if (!a->export_madminer.empty())
      for (Index i = 0; i < ensemble.size(); ++i) {
        const std::string prefix = ensemble.size() == 1 ? a->export_madminer : fmt::format("{}_{}", a->export_madminer, i);
        const auto files = ensemble[i].export_madminer(prefix);
        exported.insert(exported.end(), files.begin(), files.end());
      }
    if (a->json) {
      nlohmann::ordered_json j;
      j["model"] = a->out;
      j["method"] = std::string(to_string(method));
      j["hidden"] = network.hidden;
      j["activation"] = std::string(to_string(network.activation));
      j["members"] = nlohmann::ordered_json::array();
      for (const auto& s : summaries) j["members"].push_back(summary_json(s));
      j["exported"] = nlohmann::ordered_json::array();
      for (const auto& f : exported) j["exported"].push_back(f.string());
      std::cout << j.dump(2) << "\n";
      return;
    }
    for (std::size_t i = 0; i < summaries.size(); ++i)
      fmt::print("  member {}: {}\n", i, summaries[i].brief_report());
    fmt::print("-> {}\n", a->out);
    for (const auto& f : exported) fmt::print("-> {}\n", f.string());
  });
}

void add_evaluate_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "evaluate", "Evaluate a trained estimator on events or samples: t(x) for sally/sallino, log r(x|theta) otherwise");
  struct Arguments {
    std::string model, input, out;
    std::vector<std::string> thetas;
    bool score = false, json = false;
    int threads = 0;
  };
  auto a = std::make_shared<Arguments>();
  command->add_option("MODEL", a->model, "Model file written by sbi train")->required()->check(CLI::ExistingFile);
  command->add_option("INPUT", a->input, "Events (MadMiner layout) or samples (sbi augment) to evaluate on")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--out", a->out, "Output file (HDF5: thetas, log_r_hat, t_hat and their variances)")->required();
  command->add_option("--theta", a->thetas, "Parameter point a,b,... for ratio estimators (repeat for a grid)");
  command->add_flag("--score", a->score, "Ratio estimators: also t(x|theta) = grad log r");
  command->add_option("--threads", a->threads, "Threads (0 = all cores)")->capture_default_str();
  command->add_flag("--json", a->json, "Print a summary as JSON");
  command->callback([a] {
    const Ensemble model = Ensemble::load(a->model);
    const Estimator& first = model[0];
    const Observations input = read_observations(a->input);
    check_observables(first, input, a->model, a->input);
    RowMatrix thetas;
    if (model.is_score_estimator()) {
      if (!a->thetas.empty())
        throw InvalidArgument(fmt::format("--theta: '{}' is a {} model, which estimates the score at its reference point "
                                          "only; drop --theta",
                                          a->model, to_string(first.method())));
    } else {
      if (a->thetas.empty()) throw InvalidArgument("--theta is required for a ratio estimator (repeat it for a grid)");
      thetas.resize(static_cast<Index>(a->thetas.size()), first.n_parameters());
      for (std::size_t t = 0; t < a->thetas.size(); ++t) {
        const auto v = parse_numbers(a->thetas[t], "--theta");
        if (static_cast<Index>(v.size()) != first.n_parameters())
          throw InvalidArgument(fmt::format("--theta {}: {} values given; the model has {} parameters ({})", a->thetas[t],
                                            v.size(), first.n_parameters(), fmt::join(first.parameter_names(), ", ")));
        for (Index k = 0; k < first.n_parameters(); ++k) thetas(static_cast<Index>(t), k) = v[static_cast<std::size_t>(k)];
      }
    }
    EvaluationResult result = evaluate(model, input.x, thetas, a->score, a->threads);
    result.model = a->model;
    result.input = a->input;
    write_evaluation(a->out, result);
    if (a->json) {
      nlohmann::ordered_json j;
      j["output"] = a->out;
      j["method"] = std::string(to_string(result.method));
      j["n_members"] = result.n_members;
      j["n_events"] = input.x.rows();
      if (result.log_r.size() > 0) {
        j["thetas"] = nlohmann::ordered_json::array();
        for (Index t = 0; t < result.thetas.rows(); ++t)
          j["thetas"].push_back({{"theta", std::vector<double>(result.thetas.row(t).data(),
                                                                result.thetas.row(t).data() + result.thetas.cols())},
                                 {"mean_log_r_hat", result.log_r.row(t).mean()}});
      }
      if (result.t.size() > 0) {
        const Vector mean = result.t.colwise().mean().transpose();
        j["mean_t_hat"] = std::vector<double>(mean.data(), mean.data() + mean.size());
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    fmt::print("sbi evaluate: {} ({} member{}) on {} {} from '{}'\n", to_string(result.method), result.n_members,
               result.n_members == 1 ? "" : "s", input.x.rows(), input.kind, a->input);
    if (result.log_r.size() > 0)
      for (Index t = 0; t < result.thetas.rows(); ++t)
        fmt::print("  theta = ({}): mean log r_hat = {:+.6f}\n",
                   fmt::join(result.thetas.row(t).data(), result.thetas.row(t).data() + result.thetas.cols(), ", "),
                   result.log_r.row(t).mean());
    if (model.is_score_estimator()) {
      const Vector mean = result.t.colwise().mean().transpose();
      fmt::print("  mean t_hat = ({:+.6f})\n", fmt::join(mean.data(), mean.data() + mean.size(), ", "));
    }
    fmt::print("-> {}\n", a->out);
  });
}

}  // namespace sbi::cli
