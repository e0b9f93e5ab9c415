// pysbi: the built-in simulators — the generalised Galton board of "Mining gold" (include/sbi/galton.hpp,
// exact p(x|θ) and t(x|θ)) and the leading-order W H → ℓ ν b b̄ simulator with anomalous HWW couplings
// (include/sbi/wh_simulator.hpp, exact parton-level truth).
#include <pybind11/stl/filesystem.h>

#include <mutex>

#include "common.hpp"
#include "sbi/galton.hpp"
#include "sbi/madminer_file.hpp"
#include "sbi/sampler.hpp"
#include "sbi/samples.hpp"
#include "sbi/truth.hpp"
#include "sbi/wh_simulator.hpp"

namespace sbi::python {

namespace {

std::array<double, 4> four_vector(py::handle object, const char* field) {
  const Vector v = to_vector(object, field);
  check_size(v.size(), 4, field, "(E, px, py, pz) in GeV");
  return {v(0), v(1), v(2), v(3)};
}

py::array array_of(const std::array<double, 4>& p) { return to_numpy(Vector(Eigen::Map<const Vector>(p.data(), 4))); }

std::vector<int> int_list(py::handle object, const char* field) {
  const IntVector v = to_int_vector(object, field);
  return std::vector<int>(v.data(), v.data() + v.size());
}

Vector wh_theta(py::handle object, const char* field) {
  Vector v = to_vector(object, field);
  check_size(v.size(), 2, field, "theta = (c_HWtil, c_HW)");
  return v;
}

// WHPartonEvent's four-vectors as read-write (4,) float64 properties.
void momentum_property(py::class_<WHPartonEvent>& cls, const char* name, std::array<double, 4> WHPartonEvent::*member,
                       const char* doc) {
  cls.def_property(
      name, [member](const WHPartonEvent& e) { return array_of(e.*member); },
      [member, name](WHPartonEvent& e, py::object v) { e.*member = four_vector(v, name); }, doc);
}

}  // namespace

void add_simulators(py::module_& m) {
  // =============================== Galton board ===============================
  OptionsBinder<GaltonOptions>(m, "GaltonOptions", "Geometry of the generalised Galton board (defaults: the paper's board).")
      .field("levels", &GaltonOptions::levels, "Rows of nails (levels 0 ... levels - 1), >= 2. Default 20.")
      .field("nails", &GaltonOptions::nails, "Nails per row; x takes nails + 1 values. >= 2. Default 31.")
      .field("start", &GaltonOptions::start, "Position in front of level 0, in [0, nails - 1]. Default 15.")
      .field("steepness", &GaltonOptions::steepness, "k in sigma(k theta nu): how strongly theta tilts the nails. Default 10.")
      .finish();

  py::class_<GaltonRun>(m, "GaltonRun", "One run of the board with its joint quantities.")
      .def_readonly("x", &GaltonRun::x, "Final position.")
      .def_readonly("positions", &GaltonRun::positions, "Position in front of each level (list[int]): the latent path z.")
      .def_readonly("directions", &GaltonRun::directions, "Direction at each level: 0 = left, 1 = right (list[int]).")
      .def_readonly("log_p_xz", &GaltonRun::log_p_xz, "log p(x, z|theta).")
      .def_readonly("t_xz", &GaltonRun::t_xz, "t(x, z|theta) = d/dtheta log p(x, z|theta).")
      .def_readonly("log_r_xz", &GaltonRun::log_r_xz, "log p(x, z|theta) - log p(x, z|theta1).")
      .def("__repr__", [](const GaltonRun& r) {
        return fmt::format("GaltonRun(x={}, log_p_xz={}, t_xz={}, log_r_xz={})", r.x, float_repr(r.log_p_xz),
                           float_repr(r.t_xz), float_repr(r.log_r_xz));
      });

  py::class_<GaltonSample>(m, "GaltonSample", "N runs at one theta (arrays are read-only views of this object).")
      .def_readonly("theta", &GaltonSample::theta, "theta of the runs.")
      .def_readonly("theta1", &GaltonSample::theta1, "Denominator hypothesis of log_r_xz.")
      .def_readonly("x", &GaltonSample::x, "Final positions (ndarray int64 (N,)).")
      .def_readonly("z", &GaltonSample::z, "Latent paths (ndarray int64 (N, levels)): position in front of each level.")
      .def_readonly("t_xz", &GaltonSample::t_xz, "Joint scores t(x, z|theta) (N,).")
      .def_readonly("log_r_xz", &GaltonSample::log_r_xz, "Joint log ratios log r(x, z|theta, theta1) (N,).")
      .def("__len__", &GaltonSample::size, "N.")
      .def("__repr__", [](const GaltonSample& s) {
        return fmt::format("GaltonSample(theta={}, theta1={}, n={})", float_repr(s.theta), float_repr(s.theta1), s.size());
      });

  py::class_<GaltonExact>(m, "GaltonExact", "The exact marginal distribution of x at one theta (nails + 1 entries).")
      .def_readonly("theta", &GaltonExact::theta, "The theta of the distribution.")
      .def_readonly("p", &GaltonExact::p, "p(x|theta) (sums to 1).")
      .def_readonly("dp_dtheta", &GaltonExact::dp_dtheta, "d p(x|theta) / d theta.")
      .def_readonly("t", &GaltonExact::t, "t(x|theta) = d log p(x|theta) / d theta; NaN where p = 0.");

  py::class_<GaltonBoard>(m, "GaltonBoard", R"doc(
The generalised Galton board of "Mining gold" (Brehmer, Louppe, Pavez, Cranmer, PNAS 117 (2020)
5242, arXiv:1805.12244): a simulator with an explicit latent path whose marginal p(x|theta) is
exactly computable. Deterministic: simulate() takes its seed explicitly.
)doc")
      .def(py::init([](py::object options, const py::kwargs& kwargs) { return GaltonBoard(options_from<GaltonOptions>(options, kwargs)); }),
           py::arg("options") = py::none(), "GaltonOptions or its fields as keyword arguments (levels=20, nails=31, ...).")
      .def_property_readonly("options", [](const GaltonBoard& b) { return b.options(); }, "The GaltonOptions (a copy).")
      .def_property_readonly("n_outcomes", &GaltonBoard::n_outcomes, "Number of possible outcomes, nails + 1.")
      .def("p_left", &GaltonBoard::p_left, py::arg("level"), py::arg("position"), py::arg("theta"),
           "P(left) at (level, position) for theta, walls included (0 or 1 there).")
      .def("dp_left", &GaltonBoard::dp_left, py::arg("level"), py::arg("position"), py::arg("theta"),
           "d P(left) / d theta at (level, position).")
      .def(
          "run",
          [](const GaltonBoard& b, double theta, double theta1, py::object uniforms) {
            const Vector u = to_vector(uniforms, "uniforms");
            check_size(u.size(), b.options().levels, "uniforms", "one uniform in [0, 1) per level");
            return b.run(theta, theta1, std::span<const double>(u.data(), static_cast<std::size_t>(u.size())));
          },
          py::arg("theta"), py::arg("theta1"), py::arg("uniforms"),
          "One run driven by the given uniforms (one per level): left at level L iff u_L < P(left) or P(left) = 1. With "
          "numpy.random.RandomState(seed).rand(levels) this reproduces the authors' data.")
      .def("simulate", &GaltonBoard::simulate, py::arg("theta"), py::arg("n"), py::arg("seed"), py::arg("theta1") = 0.0,
           py::call_guard<py::gil_scoped_release>(),
           "N runs at theta (std::mt19937_64 seeded with seed) with t(x,z|theta) and log r(x,z|theta, theta1): a "
           "GaltonSample. The GIL is released.")
      .def(
          "joint_log_likelihood",
          [](const GaltonBoard& b, py::object positions, int x, double theta) {
            const auto p = int_list(positions, "positions");
            return b.joint_log_likelihood(p, x, theta);
          },
          py::arg("positions"), py::arg("x"), py::arg("theta"),
          "log p(x, z|theta) of a path (positions in front of each level, final x); -inf when impossible.")
      .def(
          "joint_score",
          [](const GaltonBoard& b, py::object positions, int x, double theta) {
            const auto p = int_list(positions, "positions");
            return b.joint_score(p, x, theta);
          },
          py::arg("positions"), py::arg("x"), py::arg("theta"), "t(x, z|theta) of a path; NaN when impossible.")
      .def("exact", &GaltonBoard::exact, py::arg("theta"),
           "Exact p(x|theta), dp/dtheta and t(x|theta) by forward recursion over the rows (GaltonExact).")
      .def("exact_log_ratio", &GaltonBoard::exact_log_ratio, py::arg("theta0"), py::arg("theta1"),
           "Exact log r(x|theta0, theta1) for every x (ndarray (nails + 1,)); NaN where both are 0.")
      .def("__repr__", [](const GaltonBoard& b) {
        const auto& o = b.options();
        return fmt::format("GaltonBoard(levels={}, nails={}, start={}, steepness={})", o.levels, o.nails, o.start,
                           float_repr(o.steepness));
      });

  // =============================== WH simulator ===============================
  using WO = WHOptions;
  OptionsBinder<WO>(m, "WHOptions", "Options of the WH simulator (every default documented in include/sbi/wh_simulator.hpp).")
      .field("sqrt_s", &WO::sqrt_s, "Collider energy sqrt(s), GeV (13000).")
      .field("m_w", &WO::m_w, "W mass, GeV (80.387).")
      .field("gamma_w", &WO::gamma_w, "W width, GeV (2.085).")
      .field("m_h", &WO::m_h, "Higgs mass, GeV (125.09).")
      .field("m_b", &WO::m_b, "b mass, GeV (4.7).")
      .field("g_fermi", &WO::g_fermi, "Fermi constant, GeV^-2 (1.166379e-5).")
      .field("lambda_", &WO::lambda, "New-physics scale Lambda, GeV (1000); C++ field 'lambda'.")
      .field("br_h_bb", &WO::br_h_bb, "BR(H -> b b~) (0.5809).")
      .field("lepton_flavours", &WO::lepton_flavours, "Massless lepton flavours summed (2 = e, mu).")
      .field("bw_cutoff", &WO::bw_cutoff, "l nu mass within m_W +- bw_cutoff * Gamma_W (15).")
      .field("parton_level", &WO::parton_level, "Observables from parton-level momenta (x = z, exact truth applies).")
      .field("apply_cuts", &WO::apply_cuts, "Apply the seed talk's selection.")
      .field("lepton_resolution", &WO::lepton_resolution, "Relative Gaussian lepton p_T resolution (0.02).")
      .field("jet_stochastic", &WO::jet_stochastic, "b-jet sigma_E/E stochastic term, sqrt(GeV) (1.0).")
      .field("jet_constant", &WO::jet_constant, "b-jet sigma_E/E constant term (0.05).")
      .field("met_noise", &WO::met_noise, "Gaussian noise on each missing-p_T component, GeV (10).")
      .field("unweighted", &WO::unweighted, "Unweighted events at the sampling benchmark (True) or weighted candidates.")
      .field("warmup", &WO::warmup, "Weighted candidates for the maximum weight and cross-section components (>= 1000).")
      .field("max_weight_excess", &WO::max_weight_excess,
             "Unweighting maximum: the warm-up weights above it carry at most this fraction of sigma in excess (1e-3; "
             "0 = the largest warm-up weight).")
      .field("threads", &WO::threads, "Threads (>= 1); the result does not depend on it.")
      .field("ttbar_cross_section", &WO::ttbar_cross_section, "tt~-like background before cuts, pb (243.6).")
      .field("wbb_cross_section", &WO::wbb_cross_section, "W b b~-like background before cuts, pb (20).")
      .finish();

  py::class_<WHPartonEvent> parton(m, "WHPartonEvent",
                                   "Parton-level kinematics of one signal event: lab-frame (E, px, py, pz) in GeV.");
  parton.def(py::init([](py::object lepton, py::object neutrino, py::object b, py::object bbar, py::object parton1,
                         py::object parton2, int charge) {
               WHPartonEvent e;
               e.lepton = four_vector(lepton, "lepton");
               e.neutrino = four_vector(neutrino, "neutrino");
               e.b = four_vector(b, "b");
               e.bbar = four_vector(bbar, "bbar");
               e.parton1 = four_vector(parton1, "parton1");
               e.parton2 = four_vector(parton2, "parton2");
               e.charge = charge;
               return e;
             }),
             py::arg("lepton"), py::arg("neutrino"), py::arg("b"), py::arg("bbar"), py::arg("parton1"), py::arg("parton2"),
             py::arg("charge") = 1, "Each momentum (E, px, py, pz) in GeV; parton1 along +z, parton2 along -z.");
  momentum_property(parton, "lepton", &WHPartonEvent::lepton, "(E, px, py, pz) GeV");
  momentum_property(parton, "neutrino", &WHPartonEvent::neutrino, "(E, px, py, pz) GeV");
  momentum_property(parton, "b", &WHPartonEvent::b, "(E, px, py, pz) GeV");
  momentum_property(parton, "bbar", &WHPartonEvent::bbar, "(E, px, py, pz) GeV");
  momentum_property(parton, "parton1", &WHPartonEvent::parton1, "Incoming parton along +z, (E, px, py, pz) GeV");
  momentum_property(parton, "parton2", &WHPartonEvent::parton2, "Incoming parton along -z, (E, px, py, pz) GeV");
  parton.def_readwrite("charge", &WHPartonEvent::charge, "Lepton charge +-1 (= W charge).");

  py::class_<WHSample> wh_sample(m, "WHSample", R"doc(
A generated WH sample: the set-up (c_HWtil, c_HW; benchmarks; morphing), the events (weights in
pb per event, sum = sigma after cuts), and what the truth needs. setup and events are references
into this object; arrays are views.
)doc");
  wh_sample.def_readwrite("setup", &WHSample::setup, "The Setup (a reference into this object).")
      .def_readwrite("events", &WHSample::events, "The Events (a reference into this object; weights in pb).")
      .def_readonly("components", &WHSample::components,
                    "(N, 6) components D_c of each event's weight in pb, dsigma_i(theta) = sum_c phi_c(theta) D_ic, "
                    "phi = wh_monomials(theta).")
      .def_readonly("sigma_components", &WHSample::sigma_components, "Integrated signal cross-section components (6,), pb.")
      .def_readonly("momenta", &WHSample::momenta,
                    "(N, 24) parton-level momenta: lepton, neutrino, b1, b2, parton1, parton2, each (E, px, py, pz) GeV.")
      .def_property_readonly("options", [](const WHSample& s) { return s.options; },
                             "The WHOptions the sample was generated with (a copy); the truth checks its parton_level.")
      .def_readonly("candidates", &WHSample::candidates, "Weighted candidates tried (warm-up included).")
      .def_readonly("warmup_candidates", &WHSample::warmup_candidates, "Of them, the warm-up's.")
      .def_readonly("accepted", &WHSample::accepted, "Accepted events.")
      .def_readonly("overweight", &WHSample::overweight, "Events above the unweighting maximum (kept with a larger weight).")
      .def(
          "to_madminer_file",
          [](const WHSample& s) { return MadMinerFile{s.setup, s.events, std::nullopt, {}}; },
          "A MadMinerFile with this sample's set-up and events (what `sbi simulate wh` writes).")
      .def(
          "shuffle", [](WHSample& s, std::uint64_t seed) { shuffle(s, seed); }, py::arg("seed"),
          "Permutes the events with every per-event array (components, momenta) in place, as sbi.shuffle does for Events.")
      .def("__len__", [](const WHSample& s) { return s.events.size(); }, "Number of events.")
      .def("__repr__", [](const WHSample& s) {
        return fmt::format("WHSample(n_events={}, benchmarks={}, candidates={}, accepted={})", s.events.size(),
                           join_quoted(s.setup.benchmark_names()), s.candidates, s.accepted);
      });
  add_copy(wh_sample);

  py::class_<WHTruth>(m, "WHTruth", "Exact parton-level truth per event: log p(x|theta0), log r(x|theta0, theta1), t(x|theta0).")
      .def_readonly("log_p", &WHTruth::log_p, "(N,) log p(x|theta0) (density w.r.t. dx1 dx2 dPhi_3 dOmega_b/4pi).")
      .def_readonly("log_r", &WHTruth::log_r, "(N,) log r(x|theta0, theta1).")
      .def_readonly("t", &WHTruth::t, "(N, 2) score t(x|theta0).");

  py::class_<PartonDensities>(m, "PartonDensities", "Proton parton densities f(x, Q^2) (not x f), GRV94 LO.")
      .def_readonly("u", &PartonDensities::u, "u quark")
      .def_readonly("d", &PartonDensities::d, "d quark")
      .def_readonly("ubar", &PartonDensities::ubar, "u~")
      .def_readonly("dbar", &PartonDensities::dbar, "d~")
      .def_readonly("s", &PartonDensities::s, "s = s~")
      .def_readonly("c", &PartonDensities::c, "c = c~")
      .def_readonly("g", &PartonDensities::g, "gluon");
  m.def("grv94_lo", &grv94_lo, py::arg("x"), py::arg("q2"),
        "GRV94 LO densities at momentum fraction x (1e-5 <= x < 1) and Q^2 in GeV^2 (clamped to [0.4, 1e6]).");
  m.def(
      "wh_monomials",
      [](py::object theta) {
        const auto phi = wh_monomials(wh_theta(theta, "theta"));
        return to_numpy(Vector(Eigen::Map<const Vector>(phi.data(), 6)));
      },
      py::arg("theta"), "phi(theta) = (1, c_HWtil, c_HW, c_HWtil^2, c_HWtil c_HW, c_HW^2) (6,) for theta = (c_HWtil, c_HW).");
  m.def(
      "wh_monomial_gradients",
      [](py::object theta) {
        const auto g = wh_monomial_gradients(wh_theta(theta, "theta"));
        RowMatrix out(2, 6);
        for (Index p = 0; p < 2; ++p)
          for (Index c = 0; c < 6; ++c) out(p, c) = g[static_cast<std::size_t>(p)][static_cast<std::size_t>(c)];
        return to_numpy(std::move(out));
      },
      py::arg("theta"), "d phi_c / d theta_p (2, 6).");

  py::class_<WHSimulator>(m, "WHSimulator", R"doc(
Leading-order p p -> W+- H -> l+- nu b b~ at 13 TeV with anomalous HWW couplings, theta = (c_HWtil,
c_HW) at Lambda = 1 TeV (SMEFTsim conventions; see include/sbi/wh_simulator.hpp for the physics,
the detector model, the selection and the backgrounds). Weights in pb, momenta in GeV.
Deterministic for a seed, for every thread count.
)doc")
      .def(py::init([](py::object options, const py::kwargs& kwargs) { return WHSimulator(options_from<WHOptions>(options, kwargs)); }),
           py::arg("options") = py::none(), "WHOptions or its fields as keyword arguments (parton_level=True, threads=2, ...).")
      .def_property_readonly("options", [](const WHSimulator& s) { return s.options(); }, "The WHOptions (a copy).")
      .def_static("parameter_space", &WHSimulator::parameter_space, "The two parameters (c_HWtil, c_HW).")
      .def_static("default_benchmarks", &WHSimulator::default_benchmarks,
                  "'sm' and the seed talk's optimised 2-D basis: six points for six components.")
      .def_static("observable_names", &WHSimulator::observable_names, "Observable names in the order of Events.observations.")
      .def("kappa", &WHSimulator::kappa, "v^2 / Lambda^2 (0.0606 at 1 TeV).")
      .def(
          "couplings",
          [](const WHSimulator& s, py::object theta) {
            const auto a = s.couplings(wh_theta(theta, "theta"));
            return py::make_tuple(a[0], a[1], a[2]);
          },
          py::arg("theta"), "(a1, a2, a3) of the HWW vertex at theta.")
      .def(
          "matrix_element_pieces",
          [](const WHSimulator& s, py::object quark, py::object antiquark, const WHPartonEvent& event) {
            const auto pieces = s.matrix_element_pieces(four_vector(quark, "quark"), four_vector(antiquark, "antiquark"), event);
            RowMatrix out(3, 3);
            for (Index i = 0; i < 3; ++i)
              for (Index j = 0; j < 3; ++j) out(i, j) = pieces[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
            return to_numpy(std::move(out));
          },
          py::arg("quark"), py::arg("antiquark"), py::arg("event"),
          "Re(A_i A_j*) (3, 3) of the pieces multiplying a1, a2, a3, spin/colour summed and averaged, GeV^-2.")
      .def(
          "matrix_element_squared",
          [](const WHSimulator& s, const WHPartonEvent& event, py::object theta, bool quark_in_beam1) {
            return s.matrix_element_squared(event, wh_theta(theta, "theta"), quark_in_beam1);
          },
          py::arg("event"), py::arg("theta"), py::arg("quark_in_beam1") = true, "|M|^2(theta) for one orientation, GeV^-2.")
      .def(
          "dsigma_components",
          [](const WHSimulator& s, const WHPartonEvent& event) {
            const auto d = s.dsigma_components(event);
            return to_numpy(Vector(Eigen::Map<const Vector>(d.data(), 6)));
          },
          py::arg("event"), "The six components D_c of dsigma(x|theta) (6,), pb, summed over channels and orientations.")
      .def("parton_observables", &WHSimulator::parton_observables, py::arg("event"),
           "Observables of a parton-level event (no smearing), in the order of observable_names().")
      .def(
          "generate",
          [](const WHSimulator& s, Index n, std::uint64_t seed, py::object benchmarks, Index sampling_benchmark) {
            const std::vector<Benchmark> b =
                benchmarks.is_none() ? std::vector<Benchmark>{} : to_object_list<Benchmark>(benchmarks, "benchmarks", "Benchmark");
            py::gil_scoped_release release;
            return s.generate(n, seed, b, sampling_benchmark);
          },
          py::arg("n"), py::arg("seed"), py::arg("benchmarks") = py::none(), py::arg("sampling_benchmark") = 0,
          "n signal events (unweighted: exactly n; weighted: those of n candidates passing the cuts) at "
          "benchmarks[sampling_benchmark], with weights in pb at every benchmark (None = default_benchmarks()). "
          "A WHSample; the GIL is released.")
      .def(
          "add_background",
          [](const WHSimulator& s, WHSample& sample, Index n_ttbar, Index n_wbb, std::uint64_t seed) {
            py::gil_scoped_release release;
            s.add_background(sample, n_ttbar, n_wbb, seed);
          },
          py::arg("sample"), py::arg("n_ttbar"), py::arg("n_wbb"), py::arg("seed"),
          "Appends unweighted background events (tt~-like, W b b~-like; theta-independent models) to the sample in place.")
      .def(
          "truth",
          [](const WHSimulator& s, const WHSample& sample, py::object theta0, py::object theta1) {
            const Vector t0 = wh_theta(theta0, "theta0"), t1 = wh_theta(theta1, "theta1");
            py::gil_scoped_release release;
            return s.truth(sample, t0, t1);
          },
          py::arg("sample"), py::arg("theta0"), py::arg("theta1"),
          "Exact parton-level truth (WHTruth) for every event of a parton-level signal-only sample.")
      .def_static(
          "cross_section", [](const WHSample& sample, py::object theta) { return WHSimulator::cross_section(sample, wh_theta(theta, "theta")); },
          py::arg("sample"), py::arg("theta"), "sigma(theta) in pb after cuts from the sample's integrated components.")
      .def_static(
          "cross_sections",
          [](const WHSample& sample, py::object thetas) {
            const RowMatrix t = to_row_matrix(thetas, "thetas", 2);
            Vector out(t.rows());
            for (Index i = 0; i < t.rows(); ++i) out(i) = WHSimulator::cross_section(sample, t.row(i).transpose());
            return to_numpy(std::move(out));
          },
          py::arg("sample"), py::arg("thetas"), "sigma(theta_t) in pb for T points (T, 2) -> ndarray (T,).");

  // =============================== files, generation, truth ===============================
  m.def(
      "write_wh_events",
      [](const std::filesystem::path& path, const WHSample& sample) {
        std::lock_guard<std::mutex> lock(hdf5_mutex());
        write_wh_events(path, sample);
      },
      py::arg("path"), py::arg("sample"), py::call_guard<py::gil_scoped_release>(),
      "Writes the sample as a MadMiner events file (atomically) with the truth inputs as sbi-only datasets "
      "(sbi_wh/...): what `sbi generate wh` writes.");
  m.def(
      "read_wh_events",
      [](const std::filesystem::path& path) {
        std::lock_guard<std::mutex> lock(hdf5_mutex());
        return read_wh_events(path);
      },
      py::arg("path"), py::call_guard<py::gil_scoped_release>(),
      "Reads a file written by write_wh_events (or `sbi generate wh`) back into a WHSample; pysbi.FormatError "
      "(ValueError) naming the file and dataset for a file without sbi's datasets or one whose events were reordered.");

  py::class_<WHBenchmarks>(m, "WHBenchmarks", "Benchmarks read from a set-up file for generation (read_wh_benchmarks).")
      .def_readonly("benchmarks", &WHBenchmarks::benchmarks, "The file's physical benchmarks (list[Benchmark]).")
      .def_readonly("sampling_benchmark", &WHBenchmarks::sampling_benchmark,
                    "Index of the one to sample at: the reference benchmark, else one at theta = 0, else 0.")
      .def_readonly("morphing", &WHBenchmarks::morphing, "The file's stored morphing, or None.");
  m.def(
      "read_wh_benchmarks",
      [](const std::filesystem::path& path) {
        std::lock_guard<std::mutex> lock(hdf5_mutex());
        return read_wh_benchmarks(path);
      },
      py::arg("path"), py::call_guard<py::gil_scoped_release>(),
      "The physical benchmarks of a set-up file in the WH parameters (c_HWtil, c_HW), e.g. one written by "
      "`sbi morphing optimize`; ValueError naming the file when its parameters differ.");

  m.def(
      "generate_wh",
      [](py::object out, Index events, Index background, Index ttbar, Index wbb, py::object benchmarks, std::uint64_t seed,
         py::object options, const py::kwargs& kwargs) {
        const WHSimulator simulator(options_from<WHOptions>(options, kwargs));
        WHGenerateOptions run;
        run.events = events;
        run.background = background;
        run.ttbar = ttbar;
        run.wbb = wbb;
        run.seed = seed;
        if (!benchmarks.is_none()) run.benchmarks = benchmarks.cast<std::filesystem::path>();
        const std::optional<std::filesystem::path> path =
            out.is_none() ? std::nullopt : std::optional<std::filesystem::path>(out.cast<std::filesystem::path>());
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(hdf5_mutex());
        WHSample sample = generate_wh_sample(simulator, run);
        if (path) write_wh_events(*path, sample);
        return sample;
      },
      py::arg("out") = py::none(), py::kw_only(), py::arg("events") = 10000, py::arg("background") = 0, py::arg("ttbar") = 0,
      py::arg("wbb") = 0, py::arg("benchmarks") = py::none(), py::arg("seed") = 1, py::arg("options") = py::none(),
      R"doc(
What `sbi generate wh` does: `events` signal events (unweighted at the sampling benchmark) plus
`background` background events (half tt~-like, half W b b~-like; `ttbar` and `wbb` add to them),
shuffled together, with weights at the benchmarks of the set-up file `benchmarks` (default: the
seed talk's six). The simulator's WHOptions come from `options` or keyword arguments
(parton_level=True, threads=2, ...). Writes the events file `out` (write_wh_events) when given and
returns the WHSample. The same seed and options give the file `sbi generate wh` writes, bit for
bit, for every thread count. The GIL is released.)doc");

  m.def(
      "galton_local_samples",
      [](const GaltonBoard& board, double theta, Index n, std::uint64_t seed) { return galton_local_samples(board, theta, n, seed); },
      py::arg("board"), py::arg("theta"), py::arg("n"), py::arg("seed"), py::call_guard<py::gil_scoped_release>(),
      "n local (SALLY-type) samples at theta: x, theta0 = theta, t_xz0 = t(x, z|theta) (AugmentedSamples, source 'galton').");
  m.def(
      "galton_ratio_samples",
      [](const GaltonBoard& board, double theta0_low, double theta0_high, double theta1, Index n, std::uint64_t seed) {
        return galton_ratio_samples(board, theta0_low, theta0_high, theta1, n, seed);
      },
      py::arg("board"), py::arg("theta0_low"), py::arg("theta0_high"), py::arg("theta1"), py::arg("n"), py::arg("seed"),
      py::call_guard<py::gil_scoped_release>(),
      "Ratio samples with MadMiner's conventions: n/2 at theta0 ~ U[low, high) (y = 0), the rest at theta1 (y = 1), with "
      "r_xz and t_xz0 at each sample's theta0.");
  m.def(
      "generate_galton",
      [](py::object out, Index events, std::optional<double> theta, py::object prior, std::optional<double> theta1,
         std::uint64_t seed) {
        const bool local = theta.has_value();
        if (local == (!prior.is_none() || theta1.has_value()))
          throw InvalidArgument("give either theta (local samples) or prior='flat:LO,HI' with theta1 (ratio samples)");
        const GaltonBoard board;
        AugmentedSamples samples;
        if (local) {
          samples = galton_local_samples(board, *theta, events, seed);
        } else {
          if (prior.is_none() || !theta1) throw InvalidArgument("ratio samples need both prior='flat:LO,HI' and theta1");
          const ParameterPrior p = py::isinstance<ParameterPrior>(prior) ? prior.cast<ParameterPrior>()
                                                                          : ParameterPrior::parse(prior.cast<std::string>());
          if (p.kind != ParameterPrior::Kind::Flat)
            throw InvalidArgument("prior: the Galton ratio samples take a flat prior, 'flat:LO,HI'");
          samples = galton_ratio_samples(board, p.a, p.b, *theta1, events, seed);
        }
        if (!out.is_none()) {
          const auto path = out.cast<std::filesystem::path>();
          py::gil_scoped_release release;
          std::lock_guard<std::mutex> lock(hdf5_mutex());
          write_samples(path, samples);
        }
        return samples;
      },
      py::arg("out") = py::none(), py::kw_only(), py::arg("events") = 10000, py::arg("theta") = py::none(),
      py::arg("prior") = py::none(), py::arg("theta1") = py::none(), py::arg("seed") = 1,
      "What `sbi generate galton` does: local samples at theta, or ratio samples with theta0 from prior ('flat:LO,HI' or a "
      "flat ParameterPrior) against theta1, on the paper's board; writes the samples file `out` when given.");

  py::class_<TruthTable>(m, "TruthTable", R"doc(
The exact truth for every row of a file (truth_from_file, `sbi truth`): log p(x|theta0),
log r(x|theta0, theta1), t(x|theta0), with the theta0 and theta1 of each row. WH background rows
are NaN; unreachable Galton outcomes have log_p = -inf.)doc")
      .def_readonly("source", &TruthTable::source, "'wh' or 'galton'.")
      .def_readonly("input", &TruthTable::input, "The file the rows come from.")
      .def_readonly("parameter_names", &TruthTable::parameter_names, "list[str].")
      .def_readonly("log_p", &TruthTable::log_p, "(N,) log p(x|theta0).")
      .def_readonly("log_r", &TruthTable::log_r, "(N,) log r(x|theta0, theta1).")
      .def_readonly("t", &TruthTable::t, "(N, n_p) t(x|theta0).")
      .def_readonly("theta0", &TruthTable::theta0, "(N, n_p) theta0 per row.")
      .def_readonly("theta1", &TruthTable::theta1, "(N, n_p) theta1 per row.")
      .def_readonly("process_ids", &TruthTable::process_ids, "(N,) int64: 0 = signal, >= 1 = a WH background process.")
      .def("__len__", &TruthTable::size, "N.")
      .def("__repr__", [](const TruthTable& t) {
        return fmt::format("TruthTable(source='{}', n={}, parameters={})", t.source, t.size(), join_quoted(t.parameter_names));
      });
  m.def(
      "truth_from_file",
      [](const std::filesystem::path& path, py::object theta, py::object theta1) {
        TruthPoints points;
        if (!theta.is_none()) points.theta = to_vector(theta, "theta");
        if (!theta1.is_none()) points.theta1 = to_vector(theta1, "theta1");
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(hdf5_mutex());
        return truth_from_file(path, points);
      },
      py::arg("path"), py::arg("theta") = py::none(), py::arg("theta1") = py::none(),
      "The exact truth (TruthTable) for a parton-level WH events file (theta required; theta1 default: the SM) or a Galton "
      "samples file (default: each sample's own theta0 and theta1): what `sbi truth` computes. Errors name the file and value.");
  m.def(
      "write_truth",
      [](const std::filesystem::path& path, const TruthTable& table) {
        std::lock_guard<std::mutex> lock(hdf5_mutex());
        write_truth(path, table);
      },
      py::arg("path"), py::arg("table"), py::call_guard<py::gil_scoped_release>(), "Writes a TruthTable (atomically), as `sbi truth` does.");
  m.def(
      "read_truth",
      [](const std::filesystem::path& path) {
        std::lock_guard<std::mutex> lock(hdf5_mutex());
        return read_truth(path);
      },
      py::arg("path"), py::call_guard<py::gil_scoped_release>(), "Reads a truth file written by `sbi truth` or write_truth.");

  m.def(
      "write_wh_lhe",
      [](const std::filesystem::path& path, const WHSample& sample, const WHSimulator& simulator) {
        write_wh_lhe(path, sample, simulator);
      },
      py::arg("path"), py::arg("sample"), py::arg("simulator"), py::call_guard<py::gil_scoped_release>(),
      "Writes a sample as a MadGraph-shaped LHE 3.0 file (atomically) with reweighting weights per benchmark (pb).");
}

}  // namespace sbi::python
