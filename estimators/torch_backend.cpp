// The LibTorch backend: the same networks and losses as the native engine, built from torch
// modules' operations with autograd (torch::autograd::grad with create_graph for the score term,
// MadMiner's DenseSingleParameterizedRatioModel.forward), on the CPU or a CUDA device. The only
// translation unit of sbi that includes LibTorch.
#include <torch/torch.h>

#include <fmt/format.h>

#include <map>

#include "sbi/error.hpp"
#include "training.hpp"

namespace sbi::detail {

namespace {

torch::Tensor to_tensor(const FMatrix& m) {
  return torch::from_blob(const_cast<float*>(m.data()), {m.rows(), m.cols()}, torch::kFloat32).clone();
}
torch::Tensor to_tensor(const FVector& v) {
  return torch::from_blob(const_cast<float*>(v.data()), {v.size()}, torch::kFloat32).clone();
}
void from_tensor(const torch::Tensor& t, FMatrix& m) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  m.resize(c.size(0), c.size(1));
  std::memcpy(m.data(), c.data_ptr<float>(), sizeof(float) * static_cast<std::size_t>(m.size()));
}
void from_tensor(const torch::Tensor& t, FVector& v) {
  const torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  v.resize(c.size(0));
  std::memcpy(v.data(), c.data_ptr<float>(), sizeof(float) * static_cast<std::size_t>(v.size()));
}

torch::Device device_of(const TrainingOptions& options) {
  if (options.device == Device::Cuda) {
    if (!torch::cuda::is_available())
      throw InvalidArgument(
          "device = cuda: LibTorch sees no CUDA device (this LibTorch build is CPU-only, or no GPU is present); "
          "use device = cpu");
    return torch::Device(torch::kCUDA);
  }
  return torch::Device(torch::kCPU);
}

/// The MLP as leaf tensors (torch.nn.Linear's layout: weight n_out × n_in, bias n_out).
struct TorchNet {
  std::vector<torch::Tensor> weights, biases;
  Activation activation = Activation::Tanh;

  TorchNet(const MlpShape& shape, const MlpParameters& p, torch::Device device) : activation(shape.activation) {
    for (std::size_t l = 0; l < p.weights.size(); ++l) {
      weights.push_back(to_tensor(p.weights[l]).to(device).set_requires_grad(true));
      biases.push_back(to_tensor(p.biases[l]).to(device).set_requires_grad(true));
    }
  }

  torch::Tensor activate(const torch::Tensor& z) const {
    switch (activation) {
      case Activation::Tanh: return torch::tanh(z);
      case Activation::Sigmoid: return torch::sigmoid(z);
      case Activation::Relu: return torch::relu(z);
      case Activation::Softplus: return torch::softplus(z);
      case Activation::LeakyRelu: return torch::leaky_relu(z, 0.01);
      case Activation::Elu: return torch::elu(z);
    }
    return z;
  }

  /// MadMiner's forward: Linear, then (activation, Linear) for every further layer.
  torch::Tensor forward(torch::Tensor h) const {
    for (std::size_t l = 0; l < weights.size(); ++l) {
      if (l > 0) h = activate(h);
      h = torch::addmm(biases[l], h, weights[l].t());
    }
    return h;
  }

  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> all;
    for (std::size_t l = 0; l < weights.size(); ++l) {
      all.push_back(weights[l]);
      all.push_back(biases[l]);
    }
    return all;
  }

  void read(MlpParameters& out) const {
    out.weights.resize(weights.size());
    out.biases.resize(biases.size());
    for (std::size_t l = 0; l < weights.size(); ++l) {
      from_tensor(weights[l], out.weights[l]);
      from_tensor(biases[l], out.biases[l]);
    }
  }
  void write(const MlpParameters& in) {
    torch::NoGradGuard no_grad;
    for (std::size_t l = 0; l < weights.size(); ++l) {
      weights[l].copy_(to_tensor(in.weights[l]));
      biases[l].copy_(to_tensor(in.biases[l]));
    }
  }
};

/// The training data as device tensors.
struct DeviceData {
  torch::Tensor inputs, y, s_true, r_clipped, t;
};

DeviceData upload(const TrainingData& d, torch::Device device) {
  DeviceData out;
  out.inputs = to_tensor(d.inputs).to(device);
  if (d.y.size() > 0) {
    out.y = to_tensor(d.y).to(device);
    out.s_true = to_tensor(d.s_true).to(device);
    out.r_clipped = to_tensor(d.r_clipped).to(device);
  }
  if (d.t.size() > 0) out.t = to_tensor(d.t).to(device);
  return out;
}

/// The unweighted loss terms of a batch (DESIGN.md §4; MadMiner's ml/losses.py), with the score
/// from autograd when the method has a score term.
std::vector<torch::Tensor> loss_terms(const TorchNet& net, const LossSpec& loss, const DeviceData& data,
                                      const torch::Tensor& index, Index n_parameters, bool create_graph) {
  const torch::Tensor input = data.inputs.index_select(0, index);
  if (is_score_method(loss.method)) {
    const torch::Tensor t_hat = net.forward(input);
    return {torch::mse_loss(t_hat, data.t.index_select(0, index))};
  }
  const torch::Tensor y = data.y.index_select(0, index);
  const bool score_term = has_score_term(loss.method);
  torch::Tensor theta = input.slice(1, 0, n_parameters).detach();
  if (score_term) theta.set_requires_grad(true);
  const torch::Tensor h = torch::cat({theta, input.slice(1, n_parameters)}, 1);
  const torch::Tensor f = net.forward(h).squeeze(1);  // log r̂
  torch::Tensor main;
  switch (loss.method) {
    case EstimatorMethod::Carl:
    case EstimatorMethod::Cascal:
      main = (y * torch::softplus(f) + (1 - y) * torch::softplus(-f)).mean();
      break;
    case EstimatorMethod::Alice:
    case EstimatorMethod::Alices: {
      const torch::Tensor s = data.s_true.index_select(0, index);
      main = (s * torch::softplus(f) + (1 - s) * torch::softplus(-f)).mean();
      break;
    }
    default: {  // rolr, rascal
      const torch::Tensor fc = torch::clamp(f, -loss.log_r_clip, loss.log_r_clip);
      const torch::Tensor r = data.r_clipped.index_select(0, index);
      const torch::Tensor a = torch::exp(-fc) - 1.0 / r, b = torch::exp(fc) - r;
      main = ((1 - y) * a * a + y * b * b).mean();
      break;
    }
  }
  if (!score_term) return {main};
  const torch::Tensor t_hat =
      torch::autograd::grad({f}, {theta}, {torch::ones_like(f)}, /*retain_graph=*/true, create_graph)[0];
  const torch::Tensor keep = (1 - y).unsqueeze(1);
  const torch::Tensor t = data.t.index_select(0, index);
  return {main, torch::mse_loss(keep * t_hat, keep * t)};
}

torch::Tensor index_tensor(std::span<const Index> rows, torch::Device device) {
  std::vector<std::int64_t> v(rows.begin(), rows.end());
  return torch::tensor(v, torch::kInt64).to(device);
}

class TorchBackend final : public TrainingBackend {
 public:
  TorchBackend(const MlpShape& shape, const MlpParameters& initial, const LossSpec& loss,
               const TrainingOptions& options, Index n_parameters)
      : device_(device_of(options)),
        net_(shape, initial, device_),
        loss_(loss),
        options_(options),
        n_parameters_(n_parameters),
        previous_threads_(at::get_num_threads()) {
    at::set_num_threads(std::max(options.threads, 1));
    switch (options.optimizer) {
      case OptimizerKind::Amsgrad:
      case OptimizerKind::Adam:
        optimizer_ = std::make_unique<torch::optim::Adam>(
            net_.parameters(),
            torch::optim::AdamOptions(options.initial_lr).amsgrad(options.optimizer == OptimizerKind::Amsgrad));
        break;
      case OptimizerKind::Sgd:
        optimizer_ = std::make_unique<torch::optim::SGD>(
            net_.parameters(), torch::optim::SGDOptions(options.initial_lr)
                                   .momentum(options.nesterov_momentum)
                                   .nesterov(options.nesterov_momentum > 0));
        break;
    }
  }
  ~TorchBackend() override { at::set_num_threads(previous_threads_); }

  std::string name() const override { return device_.is_cuda() ? "torch (cuda)" : "torch (cpu)"; }

  StepResult train_step(const TrainingData& data, std::span<const Index> rows, double lr) override {
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
    optimizer_->zero_grad();
    const auto terms = loss_terms(net_, loss_, device_data(data), index_tensor(rows, device_), n_parameters_, true);
    StepResult result;
    torch::Tensor total = terms[0];
    if (terms.size() > 1) total = total + loss_.alpha * terms[1];
    for (const auto& t : terms) result.terms.push_back(t.item<double>());
    for (double v : result.terms)
      if (!std::isfinite(v)) {
        result.finite = false;
        result.what_not_finite = "loss";
        return result;
      }
    total.backward();
    for (const auto& p : net_.parameters())
      if (!torch::isfinite(p.grad()).all().item<bool>()) {
        result.finite = false;
        result.what_not_finite = "gradient";
        return result;
      }
    if (options_.clip_gradient > 0) torch::nn::utils::clip_grad_norm_(net_.parameters(), options_.clip_gradient);
    optimizer_->step();
    return result;
  }

  std::vector<double> loss(const TrainingData& data, std::span<const Index> rows) override {
    constexpr std::size_t chunk = 4096;
    std::vector<double> sum;
    const DeviceData& d = device_data(data);
    const bool need_graph = has_score_term(loss_.method);
    for (std::size_t first = 0; first < rows.size(); first += chunk) {
      const auto part = rows.subspan(first, std::min(chunk, rows.size() - first));
      std::vector<torch::Tensor> terms;
      if (need_graph) {
        terms = loss_terms(net_, loss_, d, index_tensor(part, device_), n_parameters_, false);
      } else {
        torch::NoGradGuard no_grad;
        terms = loss_terms(net_, loss_, d, index_tensor(part, device_), n_parameters_, false);
      }
      if (sum.empty()) sum.assign(terms.size(), 0.0);
      for (std::size_t k = 0; k < terms.size(); ++k) sum[k] += terms[k].item<double>() * static_cast<double>(part.size());
    }
    for (double& s : sum) s /= static_cast<double>(std::max<std::size_t>(rows.size(), 1));
    return sum;
  }

  void read_parameters(MlpParameters& out) override { net_.read(out); }
  void write_parameters(const MlpParameters& in) override { net_.write(in); }

 private:
  const DeviceData& device_data(const TrainingData& data) {
    auto it = cache_.find(&data);
    if (it == cache_.end()) it = cache_.emplace(&data, upload(data, device_)).first;
    return it->second;
  }

  torch::Device device_;
  TorchNet net_;
  LossSpec loss_;
  TrainingOptions options_;
  Index n_parameters_;
  int previous_threads_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::map<const TrainingData*, DeviceData> cache_;
};

}  // namespace

std::unique_ptr<TrainingBackend> make_torch_backend(const MlpShape& shape, const MlpParameters& initial,
                                                    const LossSpec& loss, const TrainingOptions& options,
                                                    Index n_parameters) {
  return std::make_unique<TorchBackend>(shape, initial, loss, options, n_parameters);
}

bool torch_cuda_available() { return torch::cuda::is_available(); }

std::vector<double> torch_loss_and_gradient(const MlpShape& shape, const MlpParameters& parameters,
                                            const LossSpec& loss, const TrainingData& data,
                                            std::span<const Index> rows, Index n_parameters, MlpParameters& gradient) {
  const torch::Device cpu(torch::kCPU);
  TorchNet net(shape, parameters, cpu);
  const DeviceData d = upload(data, cpu);
  const auto terms = loss_terms(net, loss, d, index_tensor(rows, cpu), n_parameters, true);
  torch::Tensor total = terms[0];
  if (terms.size() > 1) total = total + loss.alpha * terms[1];
  total.backward();
  gradient.weights.resize(net.weights.size());
  gradient.biases.resize(net.biases.size());
  for (std::size_t l = 0; l < net.weights.size(); ++l) {
    from_tensor(net.weights[l].grad(), gradient.weights[l]);
    from_tensor(net.biases[l].grad(), gradient.biases[l]);
  }
  std::vector<double> values;
  for (const auto& t : terms) values.push_back(t.item<double>());
  return values;
}

std::vector<char> torch_state_dict_bytes(const MlpParameters& parameters) {
  c10::Dict<std::string, at::Tensor> state;
  for (std::size_t l = 0; l < parameters.weights.size(); ++l) {
    state.insert(fmt::format("layers.{}.weight", l), to_tensor(parameters.weights[l]));
    state.insert(fmt::format("layers.{}.bias", l), to_tensor(parameters.biases[l]));
  }
  return torch::pickle_save(state);
}

}  // namespace sbi::detail
