// pysbi: the neural estimators (include/sbi/estimators.hpp): SALLY, SALLINO, CARL, ROLR, ALICE,
// ALICES, CASCAL, RASCAL — training, evaluation, ensembles, model files, MadMiner export and the
// calibration diagnostics.
//
// Python conventions here:
// * Enum arguments take the bound enum or its name ("alices", "tanh", "amsgrad", "cpu", "native").
// * Options structs are keyword arguments named as the C++ fields (OptionsBinder); a call takes
//   `options=` or the fields as keywords.
// * Outputs are NumPy arrays over the C++ result's memory (no copy): the score of a ratio estimator,
//   stored (T·E) × P in C++, is shown as (T, E, P).
// * Training and evaluation release the GIL. Training calls an epoch callback that takes the GIL
//   back, runs the Python signal handlers (so Ctrl-C is seen after the epoch in progress) and the
//   user's callback; on Ctrl-C the training stops, the model keeps its best state so far, and the
//   KeyboardInterrupt is raised once the C++ call has returned.
#include <pybind11/stl/filesystem.h>

#include <mutex>
#include <optional>

#include "common.hpp"
#include "sbi/estimators.hpp"

namespace sbi::python {

namespace {

EstimatorMethod method_from(py::handle v) {
  return enum_from<EstimatorMethod>(v, [](const std::string& s) { return parse_estimator_method(s); }, "method");
}
Activation activation_from(py::handle v) {
  return enum_from<Activation>(v, [](const std::string& s) { return parse_activation(s); }, "activation");
}
OptimizerKind optimizer_from(py::handle v) {
  return enum_from<OptimizerKind>(v, [](const std::string& s) { return parse_optimizer(s); }, "optimizer");
}
Device device_from(py::handle v) {
  return enum_from<Device>(v, [](const std::string& s) { return parse_device(s); }, "device");
}
Backend backend_from(py::handle v) {
  return enum_from<Backend>(v, [](const std::string& s) { return parse_backend(s); }, "backend");
}

// ---- the epoch callback ----------------------------------------------------------------------

/// The EpochCallback of a training call from Python. Called by C++ after every epoch with the GIL
/// released; takes the GIL, runs the signal handlers (PyErr_CheckSignals: Ctrl-C raises
/// KeyboardInterrupt there) and the user's callback. A Python exception from either is kept (the
/// first one) and stops training; once stopped, every later call (the next member of a sequential
/// ensemble) stops at once too. The exception is raised by rethrow() after the C++ call returned,
/// so it never crosses the training code.
class PythonEpochCallback {
 public:
  explicit PythonEpochCallback(py::object user) : state_(std::make_shared<State>()) {
    if (!user.is_none() && !PyCallable_Check(user.ptr()))
      throw py::type_error(fmt::format("callback = {}: must be a callable taking a pysbi.EpochRecord, or None",
                                       py::repr(user).cast<std::string>()));
    state_->user = new py::object(std::move(user));
  }

  bool operator()(const EpochRecord& record) const {
    py::gil_scoped_acquire gil;
    State& s = *state_;
    if (s.error) return false;
    if (PyErr_CheckSignals() != 0) {
      s.error.emplace();  // fetches the pending KeyboardInterrupt (or whatever a handler raised)
      return false;
    }
    if (s.user->is_none()) return true;
    try {
      py::object result = (*s.user)(record);
      return result.is_none() || py::bool_(result).cast<bool>();
    } catch (py::error_already_set& e) {
      s.error.emplace(std::move(e));
      return false;
    }
  }

  EpochCallback function() const {
    auto self = *this;
    return [self](const EpochRecord& r) { return self(r); };
  }

  /// With the GIL held: raises the kept Python exception, if any.
  void rethrow() const {
    if (state_->error) {
      py::error_already_set e = std::move(*state_->error);
      state_->error.reset();
      throw e;
    }
  }

 private:
  struct State {
    py::object* user = nullptr;  // deleted with the GIL held (the last copy may die anywhere)
    std::optional<py::error_already_set> error;
    ~State() {
      py::gil_scoped_acquire gil;
      delete user;
      error.reset();
    }
  };
  std::shared_ptr<State> state_;
};

// ---- inputs ----------------------------------------------------------------------------------

const AugmentedSamples& samples_arg(py::handle object, const char* field) {
  if (!py::isinstance<AugmentedSamples>(object))
    throw py::type_error(fmt::format("{} = {}: must be a pysbi.AugmentedSamples (from the Sampler, read_samples or a "
                                     "simulator)",
                                     field, py::repr(object).cast<std::string>()));
  return object.cast<const AugmentedSamples&>();
}

std::vector<AugmentedSamples> samples_list(py::handle object) {
  if (py::isinstance<AugmentedSamples>(object)) return {object.cast<AugmentedSamples>()};
  return to_object_list<AugmentedSamples>(object, "samples", "pysbi.AugmentedSamples");
}

/// An Ensemble, or an Estimator as a one-member ensemble (a copy).
Ensemble ensemble_from(py::handle object, const char* field) {
  if (py::isinstance<Ensemble>(object)) return object.cast<Ensemble>();
  if (py::isinstance<Estimator>(object)) return Ensemble({object.cast<Estimator>()});
  throw py::type_error(fmt::format("{} = {}: must be a pysbi.Ensemble or pysbi.Estimator", field,
                                   py::repr(object).cast<std::string>()));
}

/// The events matrix of an evaluation: E × n_observables.
RowMatrix events_arg(py::handle x, Index n_observables) { return to_row_matrix(x, "x", n_observables); }

/// θ points of a ratio evaluation: (T, P), or one point (P,).
RowMatrix thetas_arg(py::handle thetas, Index n_parameters) {
  if (ndim_of(thetas) == 1) {
    const Vector v = to_vector(thetas, "thetas");
    check_size(v.size(), n_parameters, "thetas", "one value per parameter, or a (T, P) array of points");
    return v.transpose();
  }
  return to_row_matrix(thetas, "thetas", n_parameters);
}

/// Keyword arguments split between two options structs by field name.
std::pair<py::kwargs, py::kwargs> split_kwargs(const py::kwargs& kwargs, py::handle first_type) {
  py::kwargs first, second;
  const py::object fields = py::reinterpret_borrow<py::object>(first_type)().attr("to_dict")();
  for (const auto& [key, value] : kwargs) {
    if (fields.contains(key))
      first[key] = value;
    else
      second[key] = value;
  }
  return {first, second};
}

// ---- outputs ---------------------------------------------------------------------------------

/// A (rows, cols) view of a matrix member of the object `self` (which keeps it alive).
py::array matrix_view(const RowMatrix& m, py::handle self) {
  return view_of(const_cast<double*>(m.data()), {static_cast<py::ssize_t>(m.rows()), static_cast<py::ssize_t>(m.cols())},
                 self);
}
py::array vector_view(const Vector& v, py::handle self) {
  return view_of(const_cast<double*>(v.data()), {static_cast<py::ssize_t>(v.size())}, self);
}
/// A (T·E) × P score matrix as a (T, E, P) view (None when empty).
py::object grid_view(const RowMatrix& score, Index t, Index e, py::handle self) {
  if (score.size() == 0) return py::none();
  return view_of(const_cast<double*>(score.data()),
                 {static_cast<py::ssize_t>(t), static_cast<py::ssize_t>(e), static_cast<py::ssize_t>(score.cols())}, self);
}

py::array history_column(const TrainingSummary& s, double EpochRecord::*field) {
  Vector out(static_cast<Index>(s.history.size()));
  for (std::size_t i = 0; i < s.history.size(); ++i) out(static_cast<Index>(i)) = s.history[i].*field;
  return to_numpy(std::move(out));
}
py::array history_terms(const TrainingSummary& s, std::vector<double> EpochRecord::*field) {
  const auto n = static_cast<Index>(s.history.size());
  Index k = static_cast<Index>(s.loss_terms.size());
  for (const auto& r : s.history) k = std::max<Index>(k, static_cast<Index>((r.*field).size()));
  RowMatrix out = RowMatrix::Constant(n, k, std::numeric_limits<double>::quiet_NaN());
  for (Index i = 0; i < n; ++i) {
    const auto& terms = s.history[static_cast<std::size_t>(i)].*field;
    for (std::size_t j = 0; j < terms.size(); ++j) out(i, static_cast<Index>(j)) = terms[j];
  }
  return to_numpy(std::move(out));
}

std::string summary_repr(const TrainingSummary& s) {
  return fmt::format("TrainingSummary(epochs={}, best_epoch={}, best_validation_loss={}, reason='{}', n_train={}, "
                     "n_validation={}, seconds={}, backend='{}')",
                     s.history.size(), s.best_epoch, float_repr(s.best_validation_loss), to_string(s.reason), s.n_train,
                     s.n_validation, float_repr(s.seconds), s.backend);
}

std::string estimator_repr(const Estimator& e) {
  std::string hidden;
  for (Index h : e.network().hidden) hidden += (hidden.empty() ? "" : ", ") + std::to_string(h);
  return fmt::format("Estimator(method='{}', n_observables={}, n_parameters={}, hidden=[{}], activation='{}', trained={})",
                     to_string(e.method()), e.n_observables(), e.n_parameters(), hidden, to_string(e.network().activation),
                     e.reference_theta().size() > 0 ? "True" : "False");
}

py::list paths_list(const std::vector<std::filesystem::path>& paths) {
  py::list out;
  for (const auto& p : paths) out.append(py::cast(p));
  return out;
}

/// Trains with the GIL released and the Python epoch callback; raises its exception afterwards.
template <typename Train>
auto train_with_callback(py::object callback, Train&& train) {
  const PythonEpochCallback cb(std::move(callback));
  const EpochCallback f = cb.function();
  using Result = decltype(train(f));
  std::optional<Result> result;
  {
    py::gil_scoped_release release;
    result.emplace(train(f));
  }
  cb.rethrow();
  return std::move(*result);
}

/// save(path) and the static load(path) of a model class (Estimator, Ensemble): HDF5 behind the
/// one lock, the GIL released.
template <typename T>
void add_model_file_methods(py::class_<T>& cls, const char* save_doc, const char* load_doc) {
  cls.def(
         "save",
         [](const T& self, py::object path) {
           const std::string p = path_string(path, "path");
           py::gil_scoped_release release;
           const std::lock_guard<std::mutex> lock(hdf5_mutex());
           self.save(p);
         },
         py::arg("path"), save_doc)
      .def_static(
          "load",
          [](py::object path) {
            const std::string p = path_string(path, "path");
            py::gil_scoped_release release;
            const std::lock_guard<std::mutex> lock(hdf5_mutex());
            return T::load(p);
          },
          py::arg("path"), load_doc);
}

constexpr const char* train_doc = R"doc(
Trains the network on augmented samples (kind "local" for sally/sallino, "ratio" or "more-ratios"
for the others; a ratio sample must have one theta1 for all samples).

Args:
    samples (AugmentedSamples): the training samples.
    options (TrainingOptions, optional) or its fields as keyword arguments (epochs=..., seed=...).
    validation (AugmentedSamples, optional): separate validation samples (replace the split).
    callback (callable, optional): called after every epoch with the EpochRecord (with the GIL);
        returning False stops training (summary.reason == StopReason.Interrupted); an exception it raises
        stops training and is re-raised.

Returns:
    TrainingSummary (also kept as training_summary).

The GIL is released while training. Ctrl-C stops training at the end of the current epoch: the
model keeps the parameters of its best epoch so far (the training summary, with reason
StopReason.Interrupted, is in training_summary) and KeyboardInterrupt is raised.
Raises ValueError (pysbi.InvalidArgument) naming the field for a wrong sample kind, missing fields,
observables or parameters that do not match the network, or invalid options.
)doc";

}  // namespace

void add_estimators(py::module_& m) {
  // ---- enums ----
  py::enum_<EstimatorMethod>(m, "EstimatorMethod", R"doc(
The inference method, with MadMiner's names (the strings "sally", "sallino", "carl", "rolr",
"alice", "alices", "cascal", "rascal" are accepted wherever an EstimatorMethod is).
)doc")
      .value("Sally", EstimatorMethod::Sally, "Score estimator t(x) at a reference point (local samples).")
      .value("Sallino", EstimatorMethod::Sallino, "As sally; the limits histogram its projection.")
      .value("Carl", EstimatorMethod::Carl, "Classifier: cross-entropy of s_hat against y.")
      .value("Rolr", EstimatorMethod::Rolr, "Regression on the joint ratio r(x,z).")
      .value("Alice", EstimatorMethod::Alice, "Improved cross-entropy against s(x,z) = 1/(1 + r(x,z)).")
      .value("Alices", EstimatorMethod::Alices, "alice + alpha * score MSE.")
      .value("Cascal", EstimatorMethod::Cascal, "carl + alpha * score MSE.")
      .value("Rascal", EstimatorMethod::Rascal, "rolr + alpha * score MSE.")
      .def_property_readonly("label", [](EstimatorMethod v) { return std::string(to_string(v)); },
                             "The name used by the CLI and MadMiner ('alices').");
  py::enum_<Activation>(m, "Activation",
                        "Activation of the hidden layers ('tanh', 'sigmoid', 'relu', 'softplus', 'lrelu', 'elu').")
      .value("Tanh", Activation::Tanh)
      .value("Sigmoid", Activation::Sigmoid)
      .value("Relu", Activation::Relu)
      .value("Softplus", Activation::Softplus)
      .value("LeakyRelu", Activation::LeakyRelu, "Slope 0.01 below zero ('lrelu').")
      .value("Elu", Activation::Elu, "alpha = 1.")
      .def_property_readonly("label", [](Activation v) { return std::string(to_string(v)); }, "The name ('tanh').");
  py::enum_<OptimizerKind>(m, "OptimizerKind", "The optimiser ('amsgrad', 'adam', 'sgd').")
      .value("Amsgrad", OptimizerKind::Amsgrad)
      .value("Adam", OptimizerKind::Adam)
      .value("Sgd", OptimizerKind::Sgd)
      .def_property_readonly("label", [](OptimizerKind v) { return std::string(to_string(v)); }, "The name.");
  py::enum_<Device>(m, "Device", "Where training runs ('cpu', 'cuda').")
      .value("Cpu", Device::Cpu)
      .value("Cuda", Device::Cuda)
      .def_property_readonly("label", [](Device v) { return std::string(to_string(v)); }, "The name.");
  py::enum_<Backend>(m, "Backend",
                     "The training engine ('auto': native on the CPU, torch on CUDA; 'native'; 'torch').")
      .value("Auto", Backend::Auto)
      .value("Native", Backend::Native)
      .value("Torch", Backend::Torch)
      .def_property_readonly("label", [](Backend v) { return std::string(to_string(v)); }, "The name.");

  py::enum_<StopReason>(m, "StopReason", "Why training ended (label: 'completed', 'early_stopping', 'non_finite', 'interrupted').")
      .value("Completed", StopReason::Completed, "All epochs ran.")
      .value("EarlyStopping", StopReason::EarlyStopping, "early_stopping_patience epochs without improvement.")
      .value("NonFinite", StopReason::NonFinite, "A loss or gradient became NaN or infinite; the best finite state is kept.")
      .value("Interrupted", StopReason::Interrupted, "The epoch callback asked to stop (Ctrl-C, or a callback returning False).")
      .def_property_readonly("label", [](StopReason v) { return std::string(to_string(v)); }, "The name ('interrupted').");

  m.def("parse_estimator_method", [](const std::string& s) { return parse_estimator_method(s); }, py::arg("name"),
        "EstimatorMethod from its name (case-insensitive); ValueError listing the names otherwise.");
  m.def("parse_activation", [](const std::string& s) { return parse_activation(s); }, py::arg("name"),
        "Activation from its name; ValueError listing the names otherwise.");
  m.def("parse_optimizer", [](const std::string& s) { return parse_optimizer(s); }, py::arg("name"),
        "OptimizerKind from its name; ValueError listing the names otherwise.");
  m.def("parse_device", [](const std::string& s) { return parse_device(s); }, py::arg("name"),
        "Device from its name; ValueError listing the names otherwise.");
  m.def("parse_backend", [](const std::string& s) { return parse_backend(s); }, py::arg("name"),
        "Backend from its name; ValueError listing the names otherwise.");
  m.def("is_score_method", [](py::object v) { return is_score_method(method_from(v)); }, py::arg("method"),
        "True for sally and sallino (x -> t_hat(x)).");
  m.def("has_score_term", [](py::object v) { return has_score_term(method_from(v)); }, py::arg("method"),
        "True for alices, cascal and rascal (the alpha-weighted score term).");
  m.def("training_sample_kind", [](py::object v) { return training_sample_kind(method_from(v)); }, py::arg("method"),
        "The SampleKind a method trains on: Local for the score methods, Ratio for the others.");
  m.def("default_thread_count", &default_thread_count, "Number of CPU threads a `threads` option of 0 means.");

  // ---- options ----
  OptionsBinder<NetworkOptions>(m, "NetworkOptions", "The network architecture (stored in the model file).")
      .field("hidden", &NetworkOptions::hidden,
             "Units per hidden layer, input to output (list[int]; default [100, 100]; the seed talk used [50] and "
             "[100, 100]).")
      .property(
          "activation", [](const NetworkOptions& o) { return o.activation; },
          [](NetworkOptions& o, py::object v) { o.activation = activation_from(v); },
          "Activation of every hidden layer (Activation or its name; default 'tanh').")
      .finish();

  OptionsBinder<TrainingOptions>(m, "TrainingOptions",
                                 "Per-call training settings; defaults are MadMiner's train() defaults.")
      .field("epochs", &TrainingOptions::epochs, "Passes over the training data (50).")
      .field("batch_size", &TrainingOptions::batch_size, "Samples per mini-batch (128).")
      .property(
          "optimizer", [](const TrainingOptions& o) { return o.optimizer; },
          [](TrainingOptions& o, py::object v) { o.optimizer = optimizer_from(v); },
          "OptimizerKind or its name ('amsgrad').")
      .field("initial_lr", &TrainingOptions::initial_lr, "Learning rate of the first epoch (1e-3).")
      .field("final_lr", &TrainingOptions::final_lr, "Learning rate of the last epoch; exponential decay (1e-4).")
      .field("nesterov_momentum", &TrainingOptions::nesterov_momentum, "Nesterov momentum for SGD (0 = plain SGD).")
      .field("validation_split", &TrainingOptions::validation_split,
             "Fraction held out for validation and early stopping (0.25; 0 = none).")
      .field("early_stopping", &TrainingOptions::early_stopping,
             "Restore the parameters of the epoch with the lowest validation loss (True).")
      .field("early_stopping_patience", &TrainingOptions::early_stopping_patience,
             "Stop after this many epochs without improvement (0 = all epochs, then restore the best).")
      .field("clip_gradient", &TrainingOptions::clip_gradient, "Clip the global gradient L2 norm (0 = off).")
      .field("alpha", &TrainingOptions::alpha, "Weight of the score term (alices, cascal, rascal; 1.0).")
      .field("log_r_clip", &TrainingOptions::log_r_clip, "rolr/rascal clip log r to +-log_r_clip (10).")
      .field("scale_inputs", &TrainingOptions::scale_inputs, "Standardise x (and theta) with the training sample (True).")
      .field("limit_samplesize", &TrainingOptions::limit_samplesize, "Use at most this many samples (0 = all).")
      .field("seed", &TrainingOptions::seed, "Seed of the initial weights, the validation split and the batch order (1).")
      .field("threads", &TrainingOptions::threads, "Threads (0 = all cores); results do not depend on it.")
      .property(
          "device", [](const TrainingOptions& o) { return o.device; },
          [](TrainingOptions& o, py::object v) { o.device = device_from(v); }, "Device or its name ('cpu').")
      .property(
          "backend", [](const TrainingOptions& o) { return o.backend; },
          [](TrainingOptions& o, py::object v) { o.backend = backend_from(v); }, "Backend or its name ('auto').")
      .field("progress", &TrainingOptions::progress,
             "Progress bar on stderr: 1 on, 0 off, -1 only when stderr is a terminal (never in a notebook).")
      .finish();

  OptionsBinder<EnsembleOptions>(m, "EnsembleOptions", "How the members of an ensemble get their training data.")
      .field("members", &EnsembleOptions::members, "Number of members (5); member i gets seed = seed + i.")
      .field("bootstrap", &EnsembleOptions::bootstrap,
             "With one training sample: each member trains on a bootstrap resample of it (False).")
      .finish();

  // ---- training outcome ----
  py::class_<EpochRecord>(m, "EpochRecord", "One epoch of training.")
      .def_readonly("epoch", &EpochRecord::epoch, "Epoch index (0-based).")
      .def_readonly("learning_rate", &EpochRecord::learning_rate, "Learning rate of the epoch.")
      .def_readonly("train_loss", &EpochRecord::train_loss, "Mean training loss over the epoch's batches.")
      .def_readonly("train_loss_terms", &EpochRecord::train_loss_terms, "Its terms (list[float], see loss_terms).")
      .def_readonly("validation_loss", &EpochRecord::validation_loss, "Validation loss after the epoch (NaN without).")
      .def_readonly("validation_loss_terms", &EpochRecord::validation_loss_terms, "Its terms (list[float]).")
      .def_readonly("seconds", &EpochRecord::seconds, "Wall time of the epoch, s.")
      .def("__repr__", [](const EpochRecord& r) {
        return fmt::format("EpochRecord(epoch={}, learning_rate={}, train_loss={}, validation_loss={}, seconds={})", r.epoch,
                           float_repr(r.learning_rate), float_repr(r.train_loss), float_repr(r.validation_loss),
                           float_repr(r.seconds));
      });

  py::class_<TrainingSummary>(m, "TrainingSummary", R"doc(
What a training run did (data, not a log): the history per epoch, the best epoch, why it stopped.
The history is also available as NumPy arrays (epochs, learning_rates, train_losses, ...), one
entry per epoch run.
)doc")
      .def_readonly("history", &TrainingSummary::history, "list[EpochRecord], one per epoch run.")
      .def_readonly("loss_terms", &TrainingSummary::loss_terms, "Names of the loss terms (['improved_xe', 'mse_score'] for alices, MadMiner's labels).")
      .def_readonly("best_epoch", &TrainingSummary::best_epoch, "Epoch (0-based) whose parameters the model holds; -1 if none.")
      .def_readonly("best_validation_loss", &TrainingSummary::best_validation_loss, "Its validation loss.")
      .def_readonly("reason", &TrainingSummary::reason, "StopReason: why training ended.")
      .def_readonly("message", &TrainingSummary::message, "One line saying why training stopped.")
      .def_readonly("n_train", &TrainingSummary::n_train, "Training samples.")
      .def_readonly("n_validation", &TrainingSummary::n_validation, "Validation samples.")
      .def_readonly("seconds", &TrainingSummary::seconds, "Wall time, s.")
      .def_readonly("samples_per_second", &TrainingSummary::samples_per_second,
                    "Training samples processed per second (forward + backward).")
      .def_readonly("backend", &TrainingSummary::backend, "'native' or 'torch', and the device.")
      .def_readonly("threads", &TrainingSummary::threads, "Threads used.")
      .def_property_readonly(
          "epochs", [](const TrainingSummary& s) {
            IntVector out(static_cast<Index>(s.history.size()));
            for (std::size_t i = 0; i < s.history.size(); ++i) out(static_cast<Index>(i)) = s.history[i].epoch;
            return to_numpy(std::move(out));
          },
          "Epoch indices (int64 (n,), 0-based).")
      .def_property_readonly(
          "learning_rates", [](const TrainingSummary& s) { return history_column(s, &EpochRecord::learning_rate); },
          "Learning rate per epoch (n,).")
      .def_property_readonly(
          "train_losses", [](const TrainingSummary& s) { return history_column(s, &EpochRecord::train_loss); },
          "Training loss per epoch (n,).")
      .def_property_readonly(
          "validation_losses", [](const TrainingSummary& s) { return history_column(s, &EpochRecord::validation_loss); },
          "Validation loss per epoch (n,), NaN without validation.")
      .def_property_readonly(
          "train_loss_terms_array", [](const TrainingSummary& s) { return history_terms(s, &EpochRecord::train_loss_terms); },
          "Training loss terms per epoch (n, len(loss_terms)).")
      .def_property_readonly(
          "validation_loss_terms_array",
          [](const TrainingSummary& s) { return history_terms(s, &EpochRecord::validation_loss_terms); },
          "Validation loss terms per epoch (n, len(loss_terms)).")
      .def_property_readonly(
          "epoch_seconds", [](const TrainingSummary& s) { return history_column(s, &EpochRecord::seconds); },
          "Wall time per epoch, s (n,).")
      .def("brief_report", &TrainingSummary::brief_report, "One line: epochs, best epoch and loss, reason, time.")
      .def("full_report", &TrainingSummary::full_report, "The brief report and a table of the history.")
      .def("__repr__", &summary_repr);

  // ---- evaluation results ----
  py::class_<RatioEvaluation>(m, "RatioEvaluation", "Ratio-estimator outputs on T theta points x E events (views).")
      .def_property_readonly(
          "log_r", [](py::object self) { return matrix_view(self.cast<const RatioEvaluation&>().log_r, self); },
          "log r_hat(x_e|theta_t, theta1), ndarray (T, E) (MadMiner's (n_thetas, n_x)).")
      .def_property_readonly(
          "score",
          [](py::object self) {
            const auto& r = self.cast<const RatioEvaluation&>();
            return grid_view(r.score, r.log_r.rows(), r.log_r.cols(), self);
          },
          "t_hat(x_e|theta_t) = grad_theta log r_hat, ndarray (T, E, P) per unit parameter (a view of the (T*E, P) "
          "C++ matrix), or None unless with_score.")
      .def("__repr__", [](const RatioEvaluation& r) {
        return fmt::format("RatioEvaluation(log_r: {}, score: {})", shape_string(r.log_r.rows(), r.log_r.cols()),
                           r.score.size() ? shape_string(r.score.rows(), r.score.cols()) : "None");
      });
  py::class_<EnsembleScore>(m, "EnsembleScore", "Mean and variance of t_hat(x) over the members (views).")
      .def_property_readonly(
          "mean", [](py::object self) { return matrix_view(self.cast<const EnsembleScore&>().mean, self); },
          "ndarray (E, P), per unit parameter.")
      .def_property_readonly(
          "variance", [](py::object self) { return matrix_view(self.cast<const EnsembleScore&>().variance, self); },
          "Unbiased variance over members, ndarray (E, P) (0 for one member).")
      .def("__repr__", [](const EnsembleScore& r) {
        return fmt::format("EnsembleScore(mean: {})", shape_string(r.mean.rows(), r.mean.cols()));
      });
  py::class_<EnsembleRatio>(m, "EnsembleRatio", "Mean and variance of log r_hat (and t_hat) over the members (views).")
      .def_property_readonly(
          "mean", [](py::object self) { return matrix_view(self.cast<const EnsembleRatio&>().mean, self); },
          "log r_hat, ndarray (T, E).")
      .def_property_readonly(
          "variance", [](py::object self) { return matrix_view(self.cast<const EnsembleRatio&>().variance, self); },
          "ndarray (T, E).")
      .def_property_readonly(
          "score_mean",
          [](py::object self) {
            const auto& r = self.cast<const EnsembleRatio&>();
            return grid_view(r.score_mean, r.mean.rows(), r.mean.cols(), self);
          },
          "t_hat, ndarray (T, E, P), or None unless with_score.")
      .def_property_readonly(
          "score_variance",
          [](py::object self) {
            const auto& r = self.cast<const EnsembleRatio&>();
            return grid_view(r.score_variance, r.mean.rows(), r.mean.cols(), self);
          },
          "ndarray (T, E, P), or None unless with_score.")
      .def("__repr__", [](const EnsembleRatio& r) {
        return fmt::format("EnsembleRatio(mean: {}, score: {})", shape_string(r.mean.rows(), r.mean.cols()),
                           r.score_mean.size() ? "(T, E, P)" : "None");
      });

  // ---- Estimator ----
  py::class_<Estimator> estimator(m, "Estimator", R"doc(
One neural network with its input scalings and provenance. Score estimators (sally, sallino) map
x to t_hat(x) in R^P at a reference point; ratio estimators map (theta0, x) to
log r_hat(x|theta0, theta1) against a fixed theta1 (MadMiner's conventions; see
include/sbi/estimators.hpp for the losses and references).

    est = pysbi.Estimator("sally", n_observables=8, n_parameters=2, hidden=[50])
    est.train(samples, epochs=20, seed=3)
    t = est.evaluate_score(x)          # (E, P)
)doc");
  estimator
      .def(py::init([](py::object method, Index n_observables, Index n_parameters, py::object network, std::uint64_t seed,
                       const py::kwargs& kwargs) {
             const NetworkOptions n = options_from<NetworkOptions>(network, kwargs);
             return Estimator(method_from(method), n_observables, n_parameters, n, seed);
           }),
           py::arg("method"), py::arg("n_observables"), py::arg("n_parameters"), py::arg("network") = py::none(),
           py::arg("seed") = 1,
           "A fresh network (PyTorch's default Linear initialisation from `seed`). network: NetworkOptions, or its "
           "fields as keyword arguments (hidden=[50], activation='tanh'). ValueError for non-positive sizes or an "
           "invalid architecture.")
      .def_property_readonly("method", &Estimator::method, "EstimatorMethod.")
      .def_property_readonly("network", [](const Estimator& e) { return e.network(); }, "NetworkOptions (a copy).")
      .def_property_readonly("n_observables", &Estimator::n_observables, "Inputs x per event.")
      .def_property_readonly("n_parameters", &Estimator::n_parameters, "P.")
      .def_property_readonly("is_score_estimator", &Estimator::is_score_estimator, "sally or sallino.")
      .def_property_readonly("observable_names", &Estimator::observable_names, "From the training samples (list[str]).")
      .def_property_readonly("parameter_names", &Estimator::parameter_names, "From the training samples (list[str]).")
      .def_property_readonly(
          "reference_theta", [](const Estimator& e) { return e.reference_theta(); },
          "Score estimators: the reference point of the training scores; ratio estimators: theta1 (P,); empty until "
          "trained.")
      .def_property_readonly("x_means", [](const Estimator& e) { return e.x_means(); }, "Means standardising x (n_observables,).")
      .def_property_readonly("x_stds", [](const Estimator& e) { return e.x_stds(); }, "Standard deviations of x.")
      .def_property_readonly("theta_means", [](const Estimator& e) { return e.theta_means(); }, "Means standardising theta (P,).")
      .def_property_readonly("theta_stds", [](const Estimator& e) { return e.theta_stds(); }, "Standard deviations of theta.")
      .def(
          "scalings",
          [](const Estimator& e) {
            py::dict d;
            d["x_means"] = e.x_means();
            d["x_stds"] = e.x_stds();
            d["theta_means"] = e.theta_means();
            d["theta_stds"] = e.theta_stds();
            return d;
          },
          "The input standardisation as a dict of arrays: x' = (x - x_means) / x_stds, theta' = (theta - theta_means) / "
          "theta_stds (identity before training or with scale_inputs=False).")
      .def_property_readonly(
          "training_summary", [](const Estimator& e) { return e.training_summary(); },
          "TrainingSummary of the last training (a copy; model files keep it, so a loaded model has the summary of the "
          "run that trained it).")
      .def(
          "train",
          [](Estimator& e, py::object samples, py::object options, py::object validation, py::object callback,
             const py::kwargs& kwargs) {
            const TrainingOptions o = options_from<TrainingOptions>(options, kwargs);
            const AugmentedSamples& s = samples_arg(samples, "samples");
            const AugmentedSamples* v = validation.is_none() ? nullptr : &samples_arg(validation, "validation");
            return train_with_callback(callback, [&](const EpochCallback& f) { return e.train(s, o, v, f); });
          },
          py::arg("samples"), py::arg("options") = py::none(), py::kw_only(), py::arg("validation") = py::none(),
          py::arg("callback") = py::none(), train_doc)
      .def(
          "evaluate_score",
          [](const Estimator& e, py::object x, int threads) {
            const RowMatrix xs = events_arg(x, e.n_observables());
            RowMatrix out;
            {
              py::gil_scoped_release release;
              out = e.evaluate_score(xs, threads);
            }
            return to_numpy(std::move(out));
          },
          py::arg("x"), py::arg("threads") = 0,
          "Score estimators: t_hat(x) for E events, ndarray (E, P), per unit parameter. x: (E, n_observables) in the "
          "observables' units. ValueError for a ratio estimator or a wrong shape; pysbi.DataError for non-finite x. "
          "threads 0 = all cores; the GIL is released.")
      .def(
          "evaluate_log_ratio",
          [](const Estimator& e, py::object x, py::object thetas, bool with_score, int threads) {
            const RowMatrix xs = events_arg(x, e.n_observables());
            const RowMatrix ts = thetas_arg(thetas, e.n_parameters());
            py::gil_scoped_release release;
            return e.evaluate_log_ratio(xs, ts, with_score, threads);
          },
          py::arg("x"), py::arg("thetas"), py::arg("with_score") = false, py::arg("threads") = 0,
          "Ratio estimators: log r_hat(x_e|theta_t, theta1) for E events (x: (E, n_observables)) and T points (thetas: "
          "(T, P), or (P,) for one), and t_hat(x_e|theta_t) when with_score. Returns a RatioEvaluation: .log_r (T, E), "
          ".score (T, E, P) or None. The first layer is split, so a grid costs little more than one pass. ValueError for "
          "a score estimator or wrong shapes; the GIL is released.")
      .def(
          "export_madminer",
          [](const Estimator& e, py::object prefix) {
            const std::string p = path_string(prefix, "prefix");
            std::vector<std::filesystem::path> written;
            {
              py::gil_scoped_release release;
              written = e.export_madminer(p);
            }
            return paths_list(written);
          },
          py::arg("prefix"),
          "Writes MadMiner's estimator files <prefix>_settings.json, _x_means.npy, _x_stds.npy, (ratio) _theta_means.npy, "
          "_theta_stds.npy and _state_dict.pt (readable by torch.load), so MadMiner's ScoreEstimator / "
          "ParameterizedRatioEstimator .load(prefix) restores the same network. Returns the paths (list[pathlib.Path]).")
      .def("__repr__", &estimator_repr);
  add_model_file_methods(
      estimator,
      "Writes the model (architecture, float32 weights exactly, scalings, names, reference theta, training settings and "
      "history, sbi version) as one HDF5 file, atomically. `sbi evaluate` and Estimator.load read it.",
      "Reads a model file (from save() or `sbi train`; a one-member ensemble file too). FileNotFoundError; "
      "pysbi.FormatError (an OSError) naming the file and dataset for a corrupt file or another format version.");
  add_copy(estimator);

  // ---- Ensemble ----
  py::class_<Ensemble> ensemble(m, "Ensemble", R"doc(
N estimators of the same method and architecture, trained with seeds seed, seed + 1, ... (each on
its own sample, or a bootstrap resample of one), evaluated together: mean and unbiased variance
over the members. With two or more threads the members train side by side, one thread each.

    ens = pysbi.Ensemble("alices", 8, 2, members=3, hidden=[100, 100])
    ens.train(samples, epochs=10, alpha=1.0)
    r = ens.evaluate_log_ratio(x, thetas)     # r.mean, r.variance: (T, E)
)doc");
  ensemble
      .def(py::init([](py::object members) {
             return Ensemble(to_object_list<Estimator>(members, "members", "pysbi.Estimator"));
           }),
           py::arg("members"), "From trained estimators (copies); ValueError when they differ in method or sizes.")
      .def(py::init([](py::object method, Index n_observables, Index n_parameters, py::object options, py::object network,
                       std::uint64_t seed, const py::kwargs& kwargs) {
             auto [ensemble_kwargs, network_kwargs] = split_kwargs(kwargs, py::type::of<EnsembleOptions>());
             const EnsembleOptions o = options_from<EnsembleOptions>(options, ensemble_kwargs);
             const NetworkOptions n = options_from<NetworkOptions>(network, network_kwargs);
             return Ensemble(method_from(method), n_observables, n_parameters, o, n, seed);
           }),
           py::arg("method"), py::arg("n_observables"), py::arg("n_parameters"), py::arg("options") = py::none(),
           py::arg("network") = py::none(), py::arg("seed") = 1,
           "options.members fresh estimators with seeds seed, seed + 1, ... options: EnsembleOptions or its fields "
           "(members=5, bootstrap=False); network: NetworkOptions or its fields (hidden=..., activation=...), all as "
           "keyword arguments.")
      .def("__len__", &Ensemble::size, "Number of members.")
      .def_property_readonly("size", &Ensemble::size, "Number of members.")
      .def(
          "__getitem__",
          [](Ensemble& e, Index i) -> Estimator& {
            if (i < 0) i += e.size();
            if (i < 0 || i >= e.size()) throw py::index_error(fmt::format("member {} of an ensemble of {}", i, e.size()));
            return e.members()[static_cast<std::size_t>(i)];
          },
          py::return_value_policy::reference_internal, py::arg("index"), "Member i (a reference into the ensemble).")
      .def_property_readonly(
          "members", [](Ensemble& e) -> std::vector<Estimator>& { return e.members(); },
          py::return_value_policy::reference_internal, "The members (list of references into the ensemble).")
      .def_property_readonly("method", &Ensemble::method, "EstimatorMethod of the members.")
      .def_property_readonly("is_score_estimator", &Ensemble::is_score_estimator, "sally or sallino.")
      .def_property_readonly(
          "training_summaries",
          [](const Ensemble& e) {
            std::vector<TrainingSummary> out;
            for (const auto& member : e.members()) out.push_back(member.training_summary());
            return out;
          },
          "The members' TrainingSummary (list).")
      .def(
          "train",
          [](Ensemble& e, py::object samples, py::object options, bool bootstrap, py::object validation,
             py::object callback, const py::kwargs& kwargs) {
            const TrainingOptions o = options_from<TrainingOptions>(options, kwargs);
            const std::vector<AugmentedSamples> s = samples_list(samples);
            if (validation.is_none())
              return train_with_callback(callback, [&](const EpochCallback& f) { return e.train(s, o, bootstrap, f); });
            // A separate validation sample: members one after the other, each against it, as `sbi train
            // --validation` (member i with seed + i).
            if (bootstrap)
              throw InvalidArgument("bootstrap = True with a separate validation sample: give one training sample per "
                                    "member instead");
            if (s.size() != 1 && s.size() != static_cast<std::size_t>(e.size()))
              throw InvalidArgument(fmt::format("{} sample sets for {} ensemble members: give one per member or one for all",
                                                s.size(), e.size()));
            const AugmentedSamples& v = samples_arg(validation, "validation");
            return train_with_callback(callback, [&](const EpochCallback& f) {
              std::vector<TrainingSummary> out;
              for (Index i = 0; i < e.size(); ++i) {
                TrainingOptions member = o;
                member.seed = o.seed + static_cast<std::uint64_t>(i);
                out.push_back(e.members()[static_cast<std::size_t>(i)].train(
                    s[s.size() == 1 ? 0 : static_cast<std::size_t>(i)], member, &v, f));
              }
              return out;
            });
          },
          py::arg("samples"), py::arg("options") = py::none(), py::kw_only(), py::arg("bootstrap") = false,
          py::arg("validation") = py::none(), py::arg("callback") = py::none(),
          R"doc(
Trains member i on samples[i] (a list, one per member) or every member on one AugmentedSamples
(a bootstrap resample each when bootstrap=True), member i with seed options.seed + i.

Args:
    samples (AugmentedSamples or list of them).
    options (TrainingOptions, optional) or its fields as keyword arguments.
    bootstrap (bool): see above.
    validation (AugmentedSamples, optional): a separate validation sample for every member (the
        members then train one after the other).
    callback (callable, optional): called after every epoch of a member trained one after the
        other with the EpochRecord; returning False stops that member.

Returns list[TrainingSummary], one per member. The GIL is released. Ctrl-C stops training after
the current epoch (each member keeps its best state so far, later members stop after their first
epoch) and raises KeyboardInterrupt. Note: members trained side by side (threads >= 2 and >= 2
members, native engine) do not call the epoch callback (the C++ Ensemble::train does not pass it
to parallel members), so there Ctrl-C takes effect when training ends.
)doc")
      .def(
          "evaluate_score",
          [](const Ensemble& e, py::object x, int threads) {
            const RowMatrix xs = events_arg(x, e.size() ? e[0].n_observables() : -1);
            py::gil_scoped_release release;
            return e.evaluate_score(xs, threads);
          },
          py::arg("x"), py::arg("threads") = 0,
          "Score ensembles: EnsembleScore with .mean and .variance (E, P) of t_hat(x). The GIL is released.")
      .def(
          "evaluate_log_ratio",
          [](const Ensemble& e, py::object x, py::object thetas, bool with_score, int threads) {
            if (e.size() == 0) throw InvalidArgument("the ensemble is empty");
            const RowMatrix xs = events_arg(x, e[0].n_observables());
            const RowMatrix ts = thetas_arg(thetas, e[0].n_parameters());
            py::gil_scoped_release release;
            return e.evaluate_log_ratio(xs, ts, with_score, threads);
          },
          py::arg("x"), py::arg("thetas"), py::arg("with_score") = false, py::arg("threads") = 0,
          "Ratio ensembles: EnsembleRatio with .mean, .variance (T, E) of log r_hat(x_e|theta_t, theta1) and, when "
          "with_score, .score_mean, .score_variance (T, E, P). The GIL is released.")
      .def(
          "export_madminer",
          [](const Ensemble& e, py::object prefix) {
            const std::string p = path_string(prefix, "prefix");
            std::vector<std::filesystem::path> written;
            {
              py::gil_scoped_release release;
              for (Index i = 0; i < e.size(); ++i) {
                const auto files = e[i].export_madminer(e.size() == 1 ? p : fmt::format("{}_{}", p, i));
                written.insert(written.end(), files.begin(), files.end());
              }
            }
            return paths_list(written);
          },
          py::arg("prefix"),
          "MadMiner's estimator files for every member: <prefix>_... for one member, <prefix>_<i>_... for member i "
          "(as `sbi train --export-madminer`). Returns the paths.")
      .def("__repr__", [](const Ensemble& e) {
        if (e.size() == 0) return std::string("Ensemble(<empty>)");
        return fmt::format("Ensemble(size={}, member={})", e.size(), estimator_repr(e[0]));
      });
  add_model_file_methods(ensemble, "One HDF5 file with every member (the format of `sbi train --ensemble N`), atomically.",
                         "Reads an ensemble file or a single-estimator file (one member).");
  add_copy(ensemble);

  // ---- diagnostics ----
  py::class_<RatioCalibration>(m, "RatioCalibration", R"doc(
The expectation-value calibration: R_hat(theta_t) = mean of r_hat(x|theta_t, theta1) over x drawn
from theta1 (1 for a well-trained estimator); subtract log_correction from log r_hat to calibrate.
)doc")
      .def_property_readonly(
          "thetas", [](py::object self) { return matrix_view(self.cast<const RatioCalibration&>().thetas, self); },
          "The points (T, P).")
      .def_property_readonly(
          "expectation", [](py::object self) { return vector_view(self.cast<const RatioCalibration&>().expectation, self); },
          "R_hat(theta_t) (T,).")
      .def_property_readonly(
          "expectation_error",
          [](py::object self) { return vector_view(self.cast<const RatioCalibration&>().expectation_error, self); },
          "Its Monte Carlo standard error (T,).")
      .def_property_readonly(
          "log_correction",
          [](py::object self) { return vector_view(self.cast<const RatioCalibration&>().log_correction, self); },
          "log R_hat(theta_t) (T,).");
  m.def(
      "expectation_calibration",
      [](py::object estimator, py::object x_from_theta1, py::object thetas, py::object weights) {
        const Ensemble e = ensemble_from(estimator, "estimator");
        if (e.size() == 0) throw InvalidArgument("the ensemble is empty");
        const RowMatrix x = events_arg(x_from_theta1, e[0].n_observables());
        const RowMatrix t = thetas_arg(thetas, e[0].n_parameters());
        const Vector w = weights.is_none() ? Vector() : to_vector(weights, "weights");
        py::gil_scoped_release release;
        return expectation_calibration(e, x, t, w);
      },
      py::arg("estimator"), py::arg("x_from_theta1"), py::arg("thetas"), py::arg("weights") = py::none(),
      "R_hat(theta) = sum_e w_e r_hat(x_e|theta, theta1) / sum_e w_e for events x (E, n_observables) drawn from theta1 "
      "and each row of thetas (T, P); estimator: Ensemble or Estimator; weights (E,) optional. Returns a "
      "RatioCalibration. The GIL is released.");
  py::class_<ReferenceCheck>(m, "ReferenceCheck", "log r_hat(x|theta1, theta1) over events: it must vanish.")
      .def_readonly("mean", &ReferenceCheck::mean, "Mean over the events.")
      .def_readonly("std", &ReferenceCheck::std, "Standard deviation.")
      .def_readonly("max_abs", &ReferenceCheck::max_abs, "Largest |log r_hat|.")
      .def("__repr__", [](const ReferenceCheck& r) {
        return fmt::format("ReferenceCheck(mean={}, std={}, max_abs={})", float_repr(r.mean), float_repr(r.std),
                           float_repr(r.max_abs));
      });
  m.def(
      "reference_hypothesis_check",
      [](py::object estimator, py::object x) {
        const Ensemble e = ensemble_from(estimator, "estimator");
        if (e.size() == 0) throw InvalidArgument("the ensemble is empty");
        const RowMatrix xs = events_arg(x, e[0].n_observables());
        py::gil_scoped_release release;
        return reference_hypothesis_check(e, xs);
      },
      py::arg("estimator"), py::arg("x"),
      "Mean, standard deviation and largest |log r_hat(x_e|theta1, theta1)| over events x (E, n_observables) of a "
      "trained ratio estimator (Ensemble or Estimator). The GIL is released.");

  // ---- evaluation files ----
  py::class_<EvaluationResult> result(m, "EvaluationResult", R"doc(
What `sbi evaluate` computes and writes: an ensemble's outputs on E events. Arrays are views (read
and assign); empty (0 rows) when not set.
)doc");
  result
      .def(py::init([](const py::kwargs& kwargs) {
             EvaluationResult r;
             py::object self = py::cast(r);
             for (const auto& [key, value] : kwargs) py::setattr(self, key, value);
             return self.cast<EvaluationResult>();
           }),
           "Keyword arguments named as the fields (method, parameter_names, thetas, log_r, ...).")
      .def_property(
          "method", [](const EvaluationResult& r) { return r.method; },
          [](EvaluationResult& r, py::object v) { r.method = method_from(v); }, "EstimatorMethod (or its name).")
      .def_readwrite("parameter_names", &EvaluationResult::parameter_names, "list[str].")
      .def_readwrite("observable_names", &EvaluationResult::observable_names, "list[str].")
      .def_readwrite("n_members", &EvaluationResult::n_members, "Ensemble size.")
      .def_readwrite("model", &EvaluationResult::model, "Where the model came from.")
      .def_readwrite("input", &EvaluationResult::input, "Where the events came from.");
  auto result_matrix = [&result](const char* name, RowMatrix EvaluationResult::*member, const char* doc) {
    const std::string field = std::string("EvaluationResult.") + name;
    result.def_property(
        name, [member](EvaluationResult& r) -> RowMatrix& { return r.*member; },
        [member, field](EvaluationResult& r, py::object v) { set_matrix(r.*member, v, field); }, doc);
  };
  result_matrix("thetas", &EvaluationResult::thetas,
                "Ratio estimators: the T evaluated points (T, P); score estimators: the reference point (1, P).");
  result_matrix("log_r", &EvaluationResult::log_r, "log r_hat(x_e|theta_t, theta1), (T, E) (ratio estimators).");
  result_matrix("log_r_variance", &EvaluationResult::log_r_variance, "Its variance over the members, (T, E).");
  result_matrix("t", &EvaluationResult::t,
                "Score estimators: t_hat(x_e), (E, P). Ratio estimators with the score: t_hat(x_e|theta_t), (T*E, P), row "
                "t*E + e (reshape(T, E, P)).");
  result_matrix("t_variance", &EvaluationResult::t_variance, "Its variance over the members.");
  result.def("__repr__", [](const EvaluationResult& r) {
    return fmt::format("EvaluationResult(method='{}', n_members={}, thetas: {}, log_r: {}, t: {})", to_string(r.method),
                       r.n_members, shape_string(r.thetas.rows(), r.thetas.cols()), shape_string(r.log_r.rows(), r.log_r.cols()),
                       shape_string(r.t.rows(), r.t.cols()));
  });
  add_copy(result);

  m.def(
      "evaluate",
      [](py::object estimator, py::object x, py::object thetas, bool with_score, int threads) {
        const Ensemble e = ensemble_from(estimator, "estimator");
        if (e.size() == 0) throw InvalidArgument("the ensemble is empty");
        const RowMatrix xs = events_arg(x, e[0].n_observables());
        const RowMatrix ts = thetas.is_none() ? RowMatrix() : thetas_arg(thetas, e[0].n_parameters());
        py::gil_scoped_release release;
        return evaluate(e, xs, ts, with_score, threads);
      },
      py::arg("estimator"), py::arg("x"), py::arg("thetas") = py::none(), py::arg("with_score") = false,
      py::arg("threads") = 0,
      "What `sbi evaluate` computes: t_hat(x) for score estimators (thetas ignored), log r_hat at each row of thetas "
      "(and t_hat when with_score) for ratio estimators, as an EvaluationResult. estimator: Ensemble or Estimator; x "
      "(E, n_observables). The GIL is released.");
  m.def(
      "write_evaluation",
      [](py::object path, const EvaluationResult& r) {
        const std::string p = path_string(path, "path");
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(hdf5_mutex());
        write_evaluation(p, r);
      },
      py::arg("path"), py::arg("result"),
      "Writes an evaluation as HDF5 (atomically): thetas, log_r_hat, log_r_hat_variance, t_hat, t_hat_variance, names "
      "and metadata, the layout of `sbi evaluate`.");
  m.def(
      "read_evaluation",
      [](py::object path) {
        const std::string p = path_string(path, "path");
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> lock(hdf5_mutex());
        return read_evaluation(p);
      },
      py::arg("path"),
      "Reads a file written by write_evaluation or `sbi evaluate`. FileNotFoundError; pysbi.FormatError naming the "
      "file and dataset otherwise.");
}

}  // namespace sbi::python
