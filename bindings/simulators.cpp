// pysbi: the built-in simulators — the generalised Galton board of "Mining gold" (include/sbi/galton.hpp,
// exact p(x|θ) and t(x|θ)) and the leading-order W H → ℓ ν b b̄ simulator with anomalous HWW couplings
// (include/sbi/wh_simulator.hpp, exact parton-level truth).
#include <pybind11/stl/filesystem.h>

#include <mutex>

#include "common.hpp"
#include "sbi/galton.hpp"
#include "sbi/madminer_file.hpp"
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
      .def_readonly("candidates", &WHSample::candidates, "Weighted candidates tried.")
      .def_readonly("accepted", &WHSample::accepted, "Accepted events.")
      .def_readonly("overweight", &WHSample::overweight, "Events above the unweighting maximum (kept with a larger weight).")
      .def(
          "to_madminer_file",
          [](const WHSample& s) { return MadMinerFile{s.setup, s.events, std::nullopt}; },
          "A MadMinerFile with this sample's set-up and events (what `sbi simulate wh` writes).")
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

  m.def(
      "write_wh_lhe",
      [](const std::filesystem::path& path, const WHSample& sample, const WHSimulator& simulator) {
        write_wh_lhe(path, sample, simulator);
      },
      py::arg("path"), py::arg("sample"), py::arg("simulator"), py::call_guard<py::gil_scoped_release>(),
      "Writes a sample as a MadGraph-shaped LHE 3.0 file (atomically) with reweighting weights per benchmark (pb).");
}

}  // namespace sbi::python
