// Kinematics of LHE events, the built-in variables, and muparser expressions over them.
#include <fmt/format.h>
#include <muParser.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <set>

#include "lhe_text.hpp"
#include "sbi/error.hpp"
#include "sbi/lhe.hpp"

namespace sbi::lhe {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double beam_eta = 1e10;
}  // namespace

double FourMomentum::pt() const { return std::hypot(px, py); }
double FourMomentum::eta() const {
  const double t = pt();
  if (t == 0) return pz >= 0 ? beam_eta : -beam_eta;
  return std::asinh(pz / t);
}
double FourMomentum::rapidity() const {
  const double num = e + pz, den = e - pz;
  if (den <= 0) return beam_eta;
  if (num <= 0) return -beam_eta;
  return 0.5 * std::log(num / den);
}
double FourMomentum::phi() const {
  if (px == 0 && py == 0) return 0.0;
  double p = std::atan2(py, px);
  return p == -std::numbers::pi ? std::numbers::pi : p;
}
double FourMomentum::m() const {
  const double m2 = e * e - px * px - py * py - pz * pz;
  return m2 >= 0 ? std::sqrt(m2) : -std::sqrt(-m2);
}
FourMomentum operator+(FourMomentum a, const FourMomentum& b) { return a += b; }

double delta_phi(double phi1, double phi2) {
  double d = std::remainder(phi1 - phi2, 2 * std::numbers::pi);  // in [−π, π]
  return d == -std::numbers::pi ? std::numbers::pi : d;
}
double delta_r(const FourMomentum& a, const FourMomentum& b) {
  return std::hypot(a.eta() - b.eta(), delta_phi(a.phi(), b.phi()));
}

void Kinematics::fill(const Event& ev, const KinematicsOptions& options) {
  for (auto* c : {&leptons, &electrons, &muons, &taus, &photons, &jets, &b_quarks, &neutrinos, &higgs, &visible}) c->clear();
  missing = FourMomentum{};
  event = &ev;
  for (const Particle& p : ev.particles) {
    const int id = std::abs(p.pdg_id);
    PhysicsObject o{FourMomentum{p.px, p.py, p.pz, p.e}, p.pdg_id};
    if (id == 25 && (p.status == 1 || p.status == 2)) higgs.push_back(o);
    if (p.status != 1) continue;
    const bool invisible = id == 12 || id == 14 || id == 16 ||
                           std::find(options.invisible_pdg_ids.begin(), options.invisible_pdg_ids.end(), id) !=
                               options.invisible_pdg_ids.end();
    if (invisible) {
      neutrinos.push_back(o);
      missing += o.p;
      continue;
    }
    visible.push_back(o);
    if (id == 11) electrons.push_back(o), leptons.push_back(o);
    else if (id == 13) muons.push_back(o), leptons.push_back(o);
    else if (id == 15) taus.push_back(o);
    else if (id == 22) photons.push_back(o);
    else if ((id >= 1 && id <= 5) || id == 21) {
      jets.push_back(o);
      if (id == 5) b_quarks.push_back(o);
    }
  }
  auto by_pt = [](const PhysicsObject& a, const PhysicsObject& b) { return a.p.pt() > b.p.pt(); };
  for (auto* c : {&leptons, &electrons, &muons, &taus, &photons, &jets, &b_quarks, &neutrinos, &higgs, &visible})
    if (c->size() > 1) std::sort(c->begin(), c->end(), by_pt);
}

namespace {

using Collection = std::vector<PhysicsObject> Kinematics::*;

struct CollectionName {
  std::string_view name;
  Collection member;
};
// Longer names first, so "mu" is not read as "m" + "u".
constexpr std::array<CollectionName, 10> collections{{{"vis", &Kinematics::visible},
                                                      {"mu", &Kinematics::muons},
                                                      {"ta", &Kinematics::taus},
                                                      {"l", &Kinematics::leptons},
                                                      {"e", &Kinematics::electrons},
                                                      {"a", &Kinematics::photons},
                                                      {"j", &Kinematics::jets},
                                                      {"b", &Kinematics::b_quarks},
                                                      {"v", &Kinematics::neutrinos},
                                                      {"h", &Kinematics::higgs}}};

/// Reads a collection name at the front of `s`.
std::optional<Collection> take_collection(std::string_view& s) {
  for (const auto& c : collections)
    if (s.starts_with(c.name)) {
      s.remove_prefix(c.name.size());
      return c.member;
    }
  return std::nullopt;
}

/// Reads a 1-based index at the front of `s`.
std::optional<std::size_t> take_index(std::string_view& s) {
  std::size_t n = 0, i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i < 4) n = n * 10 + static_cast<std::size_t>(s[i++] - '0');
  if (i == 0 || n == 0) return std::nullopt;
  s.remove_prefix(i);
  return n - 1;
}

double charge_of(int pdg_id) {
  const int id = std::abs(pdg_id), sign = pdg_id > 0 ? 1 : -1;
  if (id == 11 || id == 13 || id == 15) return -sign;
  if (id == 1 || id == 3 || id == 5) return -sign / 3.0;
  if (id == 2 || id == 4 || id == 6) return 2 * sign / 3.0;
  if (id == 24) return sign;
  return 0;
}

std::optional<ObservableFunction> single_object(std::string_view quantity, Collection c, std::size_t k) {
  auto with = [c, k](auto f) -> ObservableFunction {
    return [c, k, f](const Kinematics& kin) -> double {
      const auto& objects = kin.*c;
      return k < objects.size() ? f(objects[k]) : nan;
    };
  };
  if (quantity == "pt") return with([](const PhysicsObject& o) { return o.p.pt(); });
  if (quantity == "eta") return with([](const PhysicsObject& o) { return o.p.eta(); });
  if (quantity == "y") return with([](const PhysicsObject& o) { return o.p.rapidity(); });
  if (quantity == "phi") return with([](const PhysicsObject& o) { return o.p.phi(); });
  if (quantity == "e") return with([](const PhysicsObject& o) { return o.p.e; });
  if (quantity == "m") return with([](const PhysicsObject& o) { return o.p.m(); });
  if (quantity == "px") return with([](const PhysicsObject& o) { return o.p.px; });
  if (quantity == "py") return with([](const PhysicsObject& o) { return o.p.py; });
  if (quantity == "pz") return with([](const PhysicsObject& o) { return o.p.pz; });
  if (quantity == "charge") return with([](const PhysicsObject& o) { return charge_of(o.pdg_id); });
  return std::nullopt;
}

std::optional<ObservableFunction> two_objects(std::string_view quantity, Collection c1, std::size_t k1, Collection c2,
                                              std::size_t k2) {
  auto with = [=](auto f) -> ObservableFunction {
    return [=](const Kinematics& kin) -> double {
      const auto& a = kin.*c1;
      const auto& b = kin.*c2;
      return (k1 < a.size() && k2 < b.size()) ? f(a[k1].p, b[k2].p) : nan;
    };
  };
  using P = const FourMomentum&;
  if (quantity == "m") return with([](P a, P b) { return (a + b).m(); });
  if (quantity == "pt") return with([](P a, P b) { return (a + b).pt(); });
  if (quantity == "y") return with([](P a, P b) { return (a + b).rapidity(); });
  if (quantity == "deta") return with([](P a, P b) { return std::abs(a.eta() - b.eta()); });
  if (quantity == "dphi") return with([](P a, P b) { return std::abs(delta_phi(a.phi(), b.phi())); });
  if (quantity == "dr") return with([](P a, P b) { return delta_r(a, b); });
  return std::nullopt;
}

std::optional<ObservableFunction> make_builtin(std::string_view name) {
  using K = const Kinematics&;
  if (name == "ht")
    return ObservableFunction([](K k) {
      double s = 0;
      for (const auto& j : k.jets) s += j.p.pt();
      return s;
    });
  if (name == "met") return ObservableFunction([](K k) { return k.missing.pt(); });
  if (name == "phi_met") return ObservableFunction([](K k) { return k.missing.phi(); });
  if (name == "weight") return ObservableFunction([](K k) { return k.event ? k.event->weight : nan; });
  if (name == "mt_l1")
    return ObservableFunction([](K k) {
      if (k.leptons.empty()) return nan;
      const FourMomentum& l = k.leptons[0].p;
      const double ptl = l.pt(), ptm = k.missing.pt();
      return std::sqrt(std::max(0.0, 2 * ptl * ptm * (1 - std::cos(delta_phi(l.phi(), k.missing.phi())))));
    });
  if (name == "m_vis" || name == "pt_vis")
    return ObservableFunction([mass = name == "m_vis"](K k) {
      if (k.visible.empty()) return nan;
      FourMomentum sum;
      for (const auto& o : k.visible) sum += o.p;
      return mass ? sum.m() : sum.pt();
    });
  if (name == "dphi_jj_signed")
    return ObservableFunction([](K k) {
      if (k.jets.size() < 2) return nan;
      const auto& a = k.jets[0].p;
      const auto& b = k.jets[1].p;
      const bool a_forward = a.eta() >= b.eta();
      return a_forward ? delta_phi(a.phi(), b.phi()) : delta_phi(b.phi(), a.phi());
    });
  const std::size_t underscore = name.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  const std::string_view quantity = name.substr(0, underscore);
  std::string_view rest = name.substr(underscore + 1);
  if (quantity == "n") {
    std::string_view r = rest;
    auto c = take_collection(r);
    if (!c || !r.empty()) return std::nullopt;
    return ObservableFunction([c = *c](K k) { return static_cast<double>((k.*c).size()); });
  }
  // X{k}: one object; X{k}Y{m}: two objects; XX: the two leading objects of one collection.
  std::string_view r = rest;
  auto c1 = take_collection(r);
  if (!c1) return std::nullopt;
  if (auto k1 = take_index(r)) {
    if (r.empty()) return single_object(quantity, *c1, *k1);
    auto c2 = take_collection(r);
    auto k2 = c2 ? take_index(r) : std::nullopt;
    if (!c2 || !k2 || !r.empty()) return std::nullopt;
    return two_objects(quantity, *c1, *k1, *c2, *k2);
  }
  auto c2 = take_collection(r);
  if (!c2 || *c2 != *c1 || !r.empty()) return std::nullopt;
  return two_objects(quantity, *c1, 0, *c1, 1);
}

}  // namespace

bool is_builtin_variable(std::string_view name) { return make_builtin(name).has_value(); }

ObservableFunction builtin_variable(std::string_view name) {
  if (auto f = make_builtin(name)) return *f;
  throw NotFound(fmt::format("'{}' is not a built-in LHE variable; examples: pt_j1, eta_l2, m_jj, deta_jj, "
                             "dphi_jj_signed, dr_l1j1, n_j, met, mt_l1, ht (see include/sbi/lhe.hpp)",
                             name));
}

// ------------------------------------------------------------------------------------------------

struct ObservableCalculator::Impl {
  struct Compiled {
    std::unique_ptr<mu::Parser> parser;
    ObservableFunction function;
    std::vector<int> variables;  // indices into values
    std::string text;
  };
  std::vector<ObservableSpec> observable_specs;
  std::vector<CutSpec> cut_specs;
  KinematicsOptions kinematics_options;
  std::vector<Compiled> observables, cuts;
  std::vector<std::string> variable_names;
  std::vector<ObservableFunction> variable_functions;
  std::unique_ptr<double[]> values;  // stable addresses for muparser
  Kinematics kinematics;

  static std::vector<std::string> used_variables(const std::string& expression, const std::string& what) {
    try {
      mu::Parser probe;
      probe.SetExpr(expression);
      std::vector<std::string> names;
      for (const auto& [name, ptr] : probe.GetUsedVar()) names.push_back(name);
      return names;
    } catch (const mu::Parser::exception_type& e) {
      throw InvalidArgument(fmt::format("{} = '{}': {}", what, expression, e.GetMsg()));
    }
  }

  int variable_id(const std::string& name, const std::string& what, const std::string& expression) {
    for (std::size_t i = 0; i < variable_names.size(); ++i)
      if (variable_names[i] == name) return static_cast<int>(i);
    auto f = make_builtin(name);
    if (!f)
      throw InvalidArgument(fmt::format("{} = '{}': unknown variable '{}'; variables are built-in names such as pt_j1, "
                                        "eta_l1, m_jj, dphi_jj_signed, n_j, met (see include/sbi/lhe.hpp)",
                                        what, expression, name));
    variable_names.push_back(name);
    variable_functions.push_back(std::move(*f));
    return static_cast<int>(variable_names.size()) - 1;
  }

  Compiled prepare(const std::string& expression, const ObservableFunction& function, const std::string& what) {
    Compiled c;
    c.text = expression;
    if (function) {
      c.function = function;
      return c;
    }
    if (text::trim(expression).empty()) throw InvalidArgument(fmt::format("{}: empty expression and no function", what));
    for (const auto& name : used_variables(expression, what)) c.variables.push_back(variable_id(name, what, expression));
    return c;
  }

  void compile(Compiled& c, const std::string& what) {
    if (c.function) return;
    c.parser = std::make_unique<mu::Parser>();
    try {
      for (int v : c.variables) c.parser->DefineVar(variable_names[static_cast<std::size_t>(v)], &values[static_cast<std::size_t>(v)]);
      c.parser->SetExpr(c.text);
      c.parser->Eval();  // compiles to bytecode now, so syntax errors surface here
    } catch (const mu::Parser::exception_type& e) {
      throw InvalidArgument(fmt::format("{} = '{}': {}", what, c.text, e.GetMsg()));
    }
  }

  /// The value, or NaN when undefined.
  double value_of(Compiled& c) {
    if (c.function) return c.function(kinematics);
    for (int v : c.variables)
      if (std::isnan(values[static_cast<std::size_t>(v)])) return nan;
    try {
      return c.parser->Eval();
    } catch (const mu::Parser::exception_type&) {
      return nan;
    }
  }
};

ObservableCalculator::ObservableCalculator(std::vector<ObservableSpec> observables, std::vector<CutSpec> cuts,
                                           KinematicsOptions kinematics)
    : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  std::set<std::string> names;
  for (std::size_t i = 0; i < observables.size(); ++i) {
    const auto& o = observables[i];
    if (o.name.empty()) throw InvalidArgument(fmt::format("observables[{}].name is empty: every observable needs a name", i));
    if (!names.insert(o.name).second)
      throw InvalidArgument(fmt::format("observables[{}].name = '{}': appears twice; names must be unique", i, o.name));
    im.observables.push_back(im.prepare(o.expression, o.function, fmt::format("observable '{}'", o.name)));
  }
  for (std::size_t i = 0; i < cuts.size(); ++i)
    im.cuts.push_back(im.prepare(cuts[i].expression, cuts[i].function, fmt::format("cuts[{}]", i)));
  im.values = std::make_unique<double[]>(std::max<std::size_t>(1, im.variable_names.size()));
  for (std::size_t i = 0; i < im.observables.size(); ++i)
    im.compile(im.observables[i], fmt::format("observable '{}'", observables[i].name));
  for (std::size_t i = 0; i < im.cuts.size(); ++i) im.compile(im.cuts[i], fmt::format("cuts[{}]", i));
  im.observable_specs = std::move(observables);
  im.cut_specs = std::move(cuts);
  im.kinematics_options = std::move(kinematics);
}

ObservableCalculator::~ObservableCalculator() = default;
ObservableCalculator::ObservableCalculator(ObservableCalculator&&) noexcept = default;
ObservableCalculator& ObservableCalculator::operator=(ObservableCalculator&&) noexcept = default;

std::size_t ObservableCalculator::n_observables() const { return impl_->observables.size(); }

std::vector<Observable> ObservableCalculator::observables() const {
  std::vector<Observable> out;
  for (const auto& o : impl_->observable_specs)
    out.push_back(Observable{o.name, o.function ? (o.expression.empty() ? "None" : o.expression) : o.expression});
  return out;
}

ObservableCalculator::Outcome ObservableCalculator::evaluate(const Event& event, double* values, int* failed_index) {
  Impl& im = *impl_;
  im.kinematics.fill(event, im.kinematics_options);
  for (std::size_t v = 0; v < im.variable_functions.size(); ++v) im.values[v] = im.variable_functions[v](im.kinematics);
  for (std::size_t i = 0; i < im.cuts.size(); ++i) {
    const double x = im.value_of(im.cuts[i]);
    const bool pass = std::isnan(x) ? im.cut_specs[i].pass_if_undefined : x != 0;
    if (!pass) {
      if (failed_index) *failed_index = static_cast<int>(i);
      return Outcome::failed_cut;
    }
  }
  for (std::size_t i = 0; i < im.observables.size(); ++i) {
    double x = im.value_of(im.observables[i]);
    if (!std::isfinite(x)) {
      if (im.observable_specs[i].required) {
        if (failed_index) *failed_index = static_cast<int>(i);
        return Outcome::undefined_observable;
      }
      x = im.observable_specs[i].default_value;
    }
    values[i] = x;
  }
  return Outcome::kept;
}

}  // namespace sbi::lhe
