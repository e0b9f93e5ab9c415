#pragma once
// Estimator::Impl, shared by estimator.cpp (training, evaluation) and model_file.cpp (files).

#include <string>
#include <vector>

#include "mlp.hpp"
#include "sbi/estimators.hpp"
#include "training.hpp"

namespace sbi {

struct Estimator::Impl {
  EstimatorMethod method = EstimatorMethod::Sally;
  NetworkOptions network;
  Index n_observables = 0;
  Index n_parameters = 0;
  detail::MlpShape shape;
  detail::MlpParameters parameters;
  /// Scalings; `scaled` once set by a training run (kept when training continues, as MadMiner's
  /// initialize_input_transform(overwrite=False)).
  detail::Scalings scalings;
  bool scaled = false;
  std::vector<std::string> observable_names;
  std::vector<std::string> parameter_names;
  Vector reference_theta;
  std::uint64_t seed = 1;
  /// The options of the last training run and its summary.
  TrainingOptions training_options;
  TrainingSummary summary;
  /// sbi version that created the file this model was loaded from (this version when trained here).
  std::string created_by;

  /// The network shape of a method: (x) → t̂ ∈ R^P, or (θ, x) → log r̂.
  static detail::MlpShape shape_for(EstimatorMethod method, Index n_observables, Index n_parameters,
                                    const NetworkOptions& network) {
    detail::MlpShape s;
    const bool score = is_score_method(method);
    s.n_inputs = score ? n_observables : n_parameters + n_observables;
    s.hidden = network.hidden;
    s.n_outputs = score ? n_parameters : 1;
    s.activation = network.activation;
    return s;
  }
  void set_identity_scalings() {
    scalings.x_means = Vector::Zero(n_observables);
    scalings.x_stds = Vector::Ones(n_observables);
    scalings.theta_means = Vector::Zero(n_parameters);
    scalings.theta_stds = Vector::Ones(n_parameters);
  }
};

}  // namespace sbi
