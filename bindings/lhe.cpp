// pysbi.lhe: Les Houches Event files (include/sbi/lhe.hpp) — the streaming reader, benchmarks
// from the header, observables and cuts (built-in variables, muparser expressions and Python
// callables), and the conversion of LHE samples to MadMiner events.
//
// Python callables as observables and cuts: the callable receives one pysbi.lhe.Kinematics, a view
// of the event's final-state collections (ordered by decreasing p_T), valid only during the call.
// The conversion runs with the GIL released; each call of a callable takes the GIL for its
// duration, and an exception raised by it stops the conversion and reaches the caller unchanged.
#include <pybind11/stl/filesystem.h>

#include <cmath>
#include <limits>
#include <unordered_map>

#include "common.hpp"
#include "sbi/lhe.hpp"

namespace sbi::python {

namespace {

using namespace sbi::lhe;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// ---- the Kinematics handed to Python callables ----

// A Kinematics that Python code may hold: either borrowed for the duration of one callable call
// (the pointer is cleared afterwards, so a kept reference raises instead of reading freed memory)
// or owned (Kinematics.from_event).
struct KinematicsView {
  const Kinematics* kinematics = nullptr;
  std::shared_ptr<Event> owned_event;
  std::shared_ptr<Kinematics> owned;

  const Kinematics& get() const {
    if (!kinematics)
      throw InvalidArgument("this Kinematics is no longer valid: it is only valid during the call of the observable or "
                            "cut it was passed to (copy what you need, e.g. k.momenta('jets'))");
    return *kinematics;
  }
};

const std::vector<PhysicsObject>& collection(const Kinematics& k, const std::string& name) {
  static const std::vector<std::pair<std::vector<std::string>, std::vector<PhysicsObject> Kinematics::*>> table = {
      {{"leptons", "l"}, &Kinematics::leptons},     {{"electrons", "e"}, &Kinematics::electrons},
      {{"muons", "mu"}, &Kinematics::muons},        {{"taus", "ta"}, &Kinematics::taus},
      {{"photons", "a"}, &Kinematics::photons},     {{"jets", "j"}, &Kinematics::jets},
      {{"b_quarks", "b"}, &Kinematics::b_quarks},   {{"neutrinos", "v"}, &Kinematics::neutrinos},
      {{"higgs", "h"}, &Kinematics::higgs},         {{"visible", "vis"}, &Kinematics::visible}};
  for (const auto& [names, member] : table)
    for (const auto& n : names)
      if (n == name) return k.*member;
  throw NotFound(fmt::format("collection '{}': must be one of leptons (l), electrons (e), muons (mu), taus (ta), photons "
                             "(a), jets (j), b_quarks (b), neutrinos (v), higgs (h), visible (vis)",
                             name));
}

// Built-in variables compiled once per name (accessed with the GIL held only).
const ObservableFunction& cached_builtin(const std::string& name) {
  static std::unordered_map<std::string, ObservableFunction> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, builtin_variable(name)).first;
  return it->second;
}

// A Python callable as an ObservableFunction. Named (not a lambda) so that the spec's `function`
// property can hand the original callable back. The Python object is released with the GIL held,
// wherever the last copy of the std::function dies.
struct PythonObservable {
  std::shared_ptr<py::object> callable;
  std::string what;

  PythonObservable(py::object f, std::string w)
      : callable(new py::object(std::move(f)),
                 [](py::object* p) {
                   py::gil_scoped_acquire gil;
                   delete p;
                 }),
        what(std::move(w)) {}

  double operator()(const Kinematics& k) const {
    py::gil_scoped_acquire gil;
    auto view = std::make_shared<KinematicsView>();
    view->kinematics = &k;
    struct Invalidate {
      KinematicsView& v;
      ~Invalidate() { v.kinematics = nullptr; }
    } invalidate{*view};
    py::object result = (*callable)(py::cast(view));
    if (result.is_none()) return nan;
    if (py::isinstance<py::bool_>(result)) return result.cast<bool>() ? 1.0 : 0.0;
    try {
      return result.cast<double>();
    } catch (const py::cast_error&) {
      throw InvalidArgument(fmt::format("{} returned {}: it must return a number (None or NaN = undefined)", what,
                                        py::repr(result).cast<std::string>()));
    }
  }
};

ObservableFunction to_function(py::handle f, const std::string& what) {
  if (f.is_none()) return {};
  if (!PyCallable_Check(f.ptr()))
    throw py::type_error(fmt::format("{} = {}: must be a callable taking a pysbi.lhe.Kinematics, or None", what,
                                     py::repr(f).cast<std::string>()));
  return PythonObservable(py::reinterpret_borrow<py::object>(f), what);
}

py::object from_function(const ObservableFunction& f) {
  if (!f) return py::none();
  if (const auto* p = f.target<PythonObservable>()) return *p->callable;
  // A C++ function (e.g. from builtin_variable): callable on a Kinematics.
  return py::cpp_function([f](const KinematicsView& k) { return f(k.get()); }, py::arg("kinematics"));
}

// Observables: a list of ObservableSpec / (name, expression or callable) pairs, or a dict
// name -> expression or callable.
ObservableSpec observable_from(py::handle item, std::size_t i) {
  if (py::isinstance<ObservableSpec>(item)) return item.cast<ObservableSpec>();
  if (py::isinstance<py::tuple>(item) && py::len(item) == 2) {
    ObservableSpec spec;
    auto t = py::reinterpret_borrow<py::tuple>(item);
    spec.name = py::str(t[0]).cast<std::string>();
    if (py::isinstance<py::str>(t[1]))
      spec.expression = t[1].cast<std::string>();
    else
      spec.function = to_function(t[1], fmt::format("observable '{}'", spec.name));
    return spec;
  }
  throw InvalidArgument(fmt::format("observables[{}] = {}: must be an ObservableSpec or a pair (name, expression or "
                                    "callable)",
                                    i, py::repr(item).cast<std::string>()));
}

std::vector<ObservableSpec> observables_from(py::handle object) {
  std::vector<ObservableSpec> out;
  if (py::isinstance<py::dict>(object)) {
    std::size_t i = 0;
    for (auto [key, value] : py::reinterpret_borrow<py::dict>(object))
      out.push_back(observable_from(py::make_tuple(key, value), i++));
    return out;
  }
  if (py::isinstance<py::str>(object) || !py::isinstance<py::iterable>(object))
    throw InvalidArgument(fmt::format("observables = {}: must be a list of ObservableSpec or a dict name -> expression",
                                      py::repr(object).cast<std::string>()));
  std::size_t i = 0;
  for (py::handle item : object) out.push_back(observable_from(item, i++));
  return out;
}

// Cuts: a list of CutSpec, expressions (str) or callables.
std::vector<CutSpec> cuts_from(py::handle object) {
  if (py::isinstance<py::str>(object) || !py::isinstance<py::iterable>(object))
    throw InvalidArgument(fmt::format("cuts = {}: must be a list of CutSpec, expressions or callables",
                                      py::repr(object).cast<std::string>()));
  std::vector<CutSpec> out;
  std::size_t i = 0;
  for (py::handle item : object) {
    if (py::isinstance<CutSpec>(item)) {
      out.push_back(item.cast<CutSpec>());
    } else if (py::isinstance<py::str>(item)) {
      CutSpec c;
      c.expression = item.cast<std::string>();
      out.push_back(std::move(c));
    } else if (PyCallable_Check(item.ptr())) {
      CutSpec c;
      c.function = to_function(item, fmt::format("cuts[{}]", i));
      out.push_back(std::move(c));
    } else {
      throw InvalidArgument(fmt::format("cuts[{}] = {}: must be a CutSpec, an expression (str) or a callable", i,
                                        py::repr(item).cast<std::string>()));
    }
    ++i;
  }
  return out;
}

// Efficiencies: a list of EfficiencySpec, expressions (str) or callables.
std::vector<EfficiencySpec> efficiencies_from(py::handle object) {
  if (py::isinstance<py::str>(object) || !py::isinstance<py::iterable>(object))
    throw InvalidArgument(fmt::format("efficiencies = {}: must be a list of EfficiencySpec, expressions or callables",
                                      py::repr(object).cast<std::string>()));
  std::vector<EfficiencySpec> out;
  std::size_t i = 0;
  for (py::handle item : object) {
    EfficiencySpec e;
    if (py::isinstance<EfficiencySpec>(item))
      e = item.cast<EfficiencySpec>();
    else if (py::isinstance<py::str>(item))
      e.expression = item.cast<std::string>();
    else if (PyCallable_Check(item.ptr()))
      e.function = to_function(item, fmt::format("efficiencies[{}]", i));
    else
      throw InvalidArgument(fmt::format("efficiencies[{}] = {}: must be an EfficiencySpec, an expression (str) or a "
                                        "callable",
                                        i, py::repr(item).cast<std::string>()));
    out.push_back(std::move(e));
    ++i;
  }
  return out;
}

// Benchmark name -> weight id: a dict or a list of pairs.
std::vector<std::pair<std::string, std::string>> weight_map_from(py::handle object) {
  std::vector<std::pair<std::string, std::string>> out;
  if (py::isinstance<py::dict>(object)) {
    for (auto [k, v] : py::reinterpret_borrow<py::dict>(object)) out.emplace_back(k.cast<std::string>(), v.cast<std::string>());
    return out;
  }
  return object.cast<std::vector<std::pair<std::string, std::string>>>();
}

std::vector<LheSample> samples_from(py::handle object) {
  if (py::isinstance<py::str>(object) || !py::isinstance<py::iterable>(object))
    throw InvalidArgument(fmt::format("samples = {}: must be a list of LheSample or paths", py::repr(object).cast<std::string>()));
  std::vector<LheSample> out;
  std::size_t i = 0;
  for (py::handle item : object) {
    if (py::isinstance<LheSample>(item)) {
      out.push_back(item.cast<LheSample>());
    } else {
      LheSample s;
      s.path = path_string(item, fmt::format("samples[{}]", i));
      out.push_back(std::move(s));
    }
    ++i;
  }
  return out;
}

EventNorm event_norm_from(py::handle v) {
  return enum_from<EventNorm>(v, [](const std::string& s) { return event_norm_from_string(s); }, "event_norm");
}

template <typename T>
py::array int_array(const std::vector<Particle>& particles, T Particle::*member) {
  IntVector out(static_cast<Index>(particles.size()));
  for (std::size_t i = 0; i < particles.size(); ++i) out(static_cast<Index>(i)) = particles[i].*member;
  return to_numpy(std::move(out));
}

py::array event_momenta(const std::vector<Particle>& particles) {
  RowMatrix out(static_cast<Index>(particles.size()), 4);
  for (std::size_t i = 0; i < particles.size(); ++i) {
    const Particle& p = particles[i];
    out.row(static_cast<Index>(i)) << p.px, p.py, p.pz, p.e;
  }
  return to_numpy(std::move(out));
}

py::array object_momenta(const std::vector<PhysicsObject>& objects) {
  RowMatrix out(static_cast<Index>(objects.size()), 4);
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const FourMomentum& p = objects[i].p;
    out.row(static_cast<Index>(i)) << p.px, p.py, p.pz, p.e;
  }
  return to_numpy(std::move(out));
}

std::string momentum_repr(const FourMomentum& p) {
  return fmt::format("FourMomentum(px={}, py={}, pz={}, e={})", float_repr(p.px), float_repr(p.py), float_repr(p.pz),
                     float_repr(p.e));
}

// The reader with an explicit close() and Python iteration (each event a fresh copy).
struct PyReader {
  std::optional<Reader> reader;
  std::filesystem::path path;
  Reader& get() {
    if (!reader) throw InvalidArgument(fmt::format("the LHE reader of '{}' is closed", path.string()));
    return *reader;
  }
};

}  // namespace

void add_lhe(py::module_& parent) {
  py::module_ m = parent.def_submodule("lhe", R"doc(
Les Houches Event files (plain or gzip): a streaming reader, the set-up from MadGraph's
reweighting header, observables and cuts, and conversion of samples into MadMiner events.

Momenta and masses in GeV, weights and cross sections in pb (per event: the weights of a sample
sum to its cross section; see include/sbi/lhe.hpp "Weight normalisation").

Observables and cuts are built-in variables (pt_j1, eta_l2, m_jj, dphi_jj_signed, n_j, met, ...),
muparser expressions over them ("abs(eta_j1 - eta_j2)", "m_jj > 500"), or Python callables
f(k) -> float taking a Kinematics (collections of final-state objects ordered by p_T; valid only
during the call); return None or NaN for "undefined", a bool or number for cuts.
)doc");

  // ---- records ----
  py::class_<Particle>(m, "Particle", "One particle of an event (HEPEUP record; momenta and masses in GeV, lifetime in mm).")
      .def(py::init<>(), "A particle with every field 0.")
      .def_readwrite("pdg_id", &Particle::pdg_id, "IDUP")
      .def_readwrite("status", &Particle::status, "ISTUP: -1 incoming, 1 final state, 2 intermediate resonance")
      .def_readwrite("mother1", &Particle::mother1, "MOTHUP(1), 1-based, 0 = none")
      .def_readwrite("mother2", &Particle::mother2, "MOTHUP(2)")
      .def_readwrite("color1", &Particle::color1, "ICOLUP(1)")
      .def_readwrite("color2", &Particle::color2, "ICOLUP(2)")
      .def_readwrite("px", &Particle::px, "GeV")
      .def_readwrite("py", &Particle::py, "GeV")
      .def_readwrite("pz", &Particle::pz, "GeV")
      .def_readwrite("e", &Particle::e, "energy, GeV")
      .def_readwrite("m", &Particle::m, "generated mass, GeV")
      .def_readwrite("lifetime", &Particle::lifetime, "VTIMUP, mm")
      .def_readwrite("spin", &Particle::spin, "SPINUP (9 = unknown)")
      .def("__repr__", [](const Particle& p) {
        return fmt::format("Particle(pdg_id={}, status={}, px={}, py={}, pz={}, e={})", p.pdg_id, p.status, float_repr(p.px),
                           float_repr(p.py), float_repr(p.pz), float_repr(p.e));
      });

  py::class_<ProcessInfo>(m, "ProcessInfo", "One process of the <init> block (HEPRUP).")
      .def_readonly("cross_section_pb", &ProcessInfo::cross_section_pb, "XSECUP, pb")
      .def_readonly("cross_section_error_pb", &ProcessInfo::cross_section_error_pb, "XERRUP, pb")
      .def_readonly("max_weight", &ProcessInfo::max_weight, "XMAXUP")
      .def_readonly("process_id", &ProcessInfo::process_id, "LPRUP");

  py::class_<InitBlock>(m, "InitBlock", "The <init> block (HEPRUP).")
      .def_property_readonly("beam_pdg_id", [](const InitBlock& b) { return py::make_tuple(b.beam_pdg_id[0], b.beam_pdg_id[1]); },
                             "IDBMUP (two ints)")
      .def_property_readonly("beam_energy_gev",
                             [](const InitBlock& b) { return py::make_tuple(b.beam_energy_gev[0], b.beam_energy_gev[1]); },
                             "EBMUP, GeV")
      .def_property_readonly("pdf_group", [](const InitBlock& b) { return py::make_tuple(b.pdf_group[0], b.pdf_group[1]); },
                             "PDFGUP")
      .def_property_readonly("pdf_set", [](const InitBlock& b) { return py::make_tuple(b.pdf_set[0], b.pdf_set[1]); }, "PDFSUP")
      .def_readonly("weighting_strategy", &InitBlock::weighting_strategy, "IDWTUP (-4 ... 4)")
      .def_readonly("processes", &InitBlock::processes, "list[ProcessInfo]")
      .def_readonly("extra", &InitBlock::extra, "Text after the process lines up to </init>.");

  py::class_<WeightInfo>(m, "WeightInfo", "A named weight declared in <initrwgt>.")
      .def_readonly("id", &WeightInfo::id, "The weight's id (str), as in <rwgt><wgt id=...>.")
      .def_readonly("text", &WeightInfo::text, "The element's text (MadGraph: the param-card changes).")
      .def_readonly("group", &WeightInfo::group, "The enclosing <weightgroup>'s name; '' when none.")
      .def("__repr__", [](const WeightInfo& w) {
        return fmt::format("WeightInfo(id={}, text={}, group={})", quoted(w.id), quoted(w.text), quoted(w.group));
      });

  py::enum_<EventNorm>(m, "EventNorm", "How the events' weights are normalised (MadGraph's run-card entry event_norm).")
      .value("unknown", EventNorm::unknown, "No run-card entry: see ReaderOptions.event_norm.")
      .value("average", EventNorm::average, "sigma = mean weight: weights are divided by the number of events.")
      .value("sum", EventNorm::sum, "sigma = sum of the weights: used as they are.")
      .value("unity", EventNorm::unity, "Treated like average.")
      .value("bias", EventNorm::bias, "Biased generation; used as they are.");

  py::class_<Header>(m, "Header", "Everything before the first event.")
      .def_readonly("version", &Header::version, "The version attribute of <LesHouchesEvents>.")
      .def_readonly("text", &Header::text, "The <header> element's text.")
      .def_readonly("init", &Header::init, "The <init> block (InitBlock).")
      .def_readonly("weights", &Header::weights, "Weights declared in <initrwgt> (list[WeightInfo]), in file order.")
      .def_readonly("run_card", &Header::run_card, "MadGraph run card; '' when absent.")
      .def_readonly("param_card", &Header::param_card, "Param card (<slha>); '' when absent.")
      .def_readonly("event_norm", &Header::event_norm, "event_norm from the run card (EventNorm).")
      .def_readonly("run_card_nevents", &Header::run_card_nevents, "nevents from the run card (int or None).")
      .def_readonly("generated_events", &Header::generated_events, "<MGGenerationInfo>'s Number of Events (int or None).")
      .def("__repr__", [](const Header& h) {
        return fmt::format("Header(version={}, weights=<{}>, event_norm='{}')", quoted(h.version), h.weights.size(),
                           to_string(h.event_norm));
      });

  py::class_<Event>(m, "Event", "One event (HEPEUP, weights as in the file, without normalisation).")
      .def(py::init<>(), "An empty event (no particles).")
      .def_readonly("index", &Event::index, "0-based index in the file.")
      .def_readonly("line", &Event::line, "1-based line number of its <event> tag.")
      .def_readonly("process_id", &Event::process_id, "IDPRUP")
      .def_readonly("weight", &Event::weight, "XWGTUP as in the file.")
      .def_readonly("scale", &Event::scale, "SCALUP, GeV")
      .def_readonly("alpha_qed", &Event::alpha_qed, "AQEDUP")
      .def_readonly("alpha_qcd", &Event::alpha_qcd, "AQCDUP")
      .def_readwrite("particles", &Event::particles, "list[Particle] (a copy).")
      .def_property_readonly(
          "named_weights", [](const Event& e) { return to_numpy(std::vector<double>(e.named_weights)); },
          "Named weights (ndarray (n_weights,)) in the order of Reader.weight_ids, as in the file.")
      .def_property_readonly(
          "weight_list", [](const Event& e) { return to_numpy(std::vector<double>(e.weight_list)); },
          "LHEF3 <weights> list (ndarray), as in the file.")
      .def_readonly("attributes", &Event::attributes, "Attributes of the <event> tag (list of (name, value)).")
      .def_property_readonly(
          "momenta", [](const Event& e) { return event_momenta(e.particles); },
          "(px, py, pz, E) of every particle (ndarray (n_particles, 4), GeV), in record order.")
      .def_property_readonly(
          "pdg_ids", [](const Event& e) { return int_array(e.particles, &Particle::pdg_id); },
          "PDG id of every particle (ndarray int64 (n_particles,)).")
      .def_property_readonly(
          "statuses", [](const Event& e) { return int_array(e.particles, &Particle::status); },
          "Status of every particle (ndarray int64 (n_particles,)).")
      .def("__repr__", [](const Event& e) {
        return fmt::format("Event(index={}, n_particles={}, weight={}, n_named_weights={})", e.index, e.particles.size(),
                           float_repr(e.weight), e.named_weights.size());
      });

  OptionsBinder<ReaderOptions>(m, "ReaderOptions", "Options of the LHE reader.")
      .property(
          "event_norm", [](const ReaderOptions& o) { return o.event_norm; },
          [](ReaderOptions& o, py::object v) { o.event_norm = event_norm_from(v); },
          "EventNorm (or its name) used when the run card has none; unknown = decide from IDWTUP.")
      .field("override_header_event_norm", &ReaderOptions::override_header_event_norm,
             "When True, event_norm (if not unknown) wins over the run card's entry.")
      .field("max_line_bytes", &ReaderOptions::max_line_bytes, "Longest accepted line in bytes (>= 1024; default 16 MiB).")
      .field("max_particles", &ReaderOptions::max_particles, "Largest accepted NUP (>= 1; default 100000).")
      .finish();

  // ---- the reader ----
  py::class_<PyReader>(m, "Reader", R"doc(
Streams one LHE file (plain or gzip, detected from the content). Iterating yields Event objects
(each a fresh copy):

    with pysbi.lhe.Reader("events.lhe.gz") as reader:
        for event in reader:
            ...

The constructor reads the header; reading releases the GIL. Raises FileNotFoundError, OSError
(pysbi.FormatError naming the file, line and event) for malformed input.
)doc")
      .def(py::init([](py::object path, py::object options, const py::kwargs& kwargs) {
             const ReaderOptions o = options_from<ReaderOptions>(options, kwargs);
             auto r = std::make_unique<PyReader>();
             r->path = path_string(path, "path");
             py::gil_scoped_release release;
             r->reader.emplace(r->path, o);
             return r;
           }),
           py::arg("path"), py::arg("options") = py::none(),
           "Opens the file and reads the header; options as ReaderOptions or its fields as keyword arguments.")
      .def_property_readonly("header", [](PyReader& r) { return r.get().header(); }, "The Header (a copy).")
      .def_property_readonly("path", [](const PyReader& r) { return r.path; }, "The file (pathlib.Path).")
      .def_property_readonly("weight_ids", [](PyReader& r) { return r.get().weight_ids(); },
                             "Ids of the named weights, in the order of Event.named_weights.")
      .def_property_readonly("event_norm", [](PyReader& r) { return r.get().event_norm(); },
                             "The normalisation in force (EventNorm; never unknown).")
      .def_property_readonly("events_read", [](PyReader& r) { return r.get().events_read(); }, "Events read so far.")
      .def_property_readonly("bytes_read", [](PyReader& r) { return r.get().bytes_read(); },
                             "Bytes of uncompressed LHE text consumed so far.")
      .def(
          "next",
          [](PyReader& r) -> std::optional<Event> {
            Reader& reader = r.get();
            Event event;
            bool ok = false;
            {
              py::gil_scoped_release release;
              ok = reader.next(event);
            }
            if (!ok) return std::nullopt;
            return event;
          },
          "The next Event, or None at the end of the file (after checking the file ends properly).")
      .def("__iter__", [](py::object self) { return self; }, "The reader itself: iterating yields the events.")
      .def("__next__",
           [](PyReader& r) {
             Reader& reader = r.get();
             Event event;
             bool ok = false;
             {
               py::gil_scoped_release release;
               ok = reader.next(event);
             }
             if (!ok) throw py::stop_iteration();
             return event;
           },
           "The next Event; StopIteration at the end of the file.")
      .def("close", [](PyReader& r) { r.reader.reset(); }, "Closes the file; later use raises ValueError.")
      .def("__enter__", [](py::object self) { return self; }, "The reader (a context manager that closes it).")
      .def("__exit__", [](PyReader& r, py::args) { r.reader.reset(); }, "Closes the file.")
      .def("__repr__", [](const PyReader& r) {
        return fmt::format("Reader({}{})", quoted(r.path.string()), r.reader ? "" : ", closed");
      });

  m.def(
      "read_header",
      [](py::object path, py::object options, const py::kwargs& kwargs) {
        const ReaderOptions o = options_from<ReaderOptions>(options, kwargs);
        const std::string p = path_string(path, "path");
        py::gil_scoped_release release;
        return read_header(p, o);
      },
      py::arg("path"), py::arg("options") = py::none(), "Reads only the header of an LHE file (Header).");

  // ---- benchmarks from the header ----
  py::class_<ParamCardChange>(m, "ParamCardChange", "One param-card change: 'set param_card BLOCK ID VALUE # orig: X'.")
      .def_readonly("block", &ParamCardChange::block, "As written (compare case-insensitively).")
      .def_readonly("lha_id", &ParamCardChange::lha_id, "Entry of the block (int).")
      .def_readonly("value", &ParamCardChange::value, "The new value (the parameter's units).")
      .def_readonly("original", &ParamCardChange::original, "The '# orig:' value, or None.")
      .def("__repr__", [](const ParamCardChange& c) {
        return fmt::format("ParamCardChange(block={}, lha_id={}, value={}, original={})", quoted(c.block), c.lha_id,
                           float_repr(c.value), c.original ? float_repr(*c.original) : "None");
      });
  m.def("parse_reweight_text", &parse_reweight_text, py::arg("text"),
        "Parses a reweighting text ('set param_card smeft 7 0.1' lines) into ParamCardChange objects; None when the "
        "text is not a parameter point (a scale or PDF variation). ValueError for a malformed set line.");
  m.def("param_card_entry", &param_card_entry, py::arg("param_card"), py::arg("block"), py::arg("lha_id"),
        "(value, comment) of an entry of a param card's BLOCK (case-insensitive), or None.");

  OptionsBinder<SetupFromHeaderOptions>(m, "SetupFromHeaderOptions", "Options of setup_from_header.")
      .field("max_power", &SetupFromHeaderOptions::max_power, "Maximal power of every parameter in |M|^2 (>= 1; default 2).")
      .property(
          "parameters", [](const SetupFromHeaderOptions& o) { return o.parameters; },
          [](SetupFromHeaderOptions& o, py::object v) { o.parameters = to_object_list<Parameter>(v, "parameters", "Parameter"); },
          "Parameters to use instead of the detected ones (list[Parameter]; empty = detect).")
      .field("range_factor", &SetupFromHeaderOptions::range_factor,
             "Detected range [-r, r], r = max |theta| over the benchmarks times this (> 0; default 1).")
      .field("build_morphing", &SetupFromHeaderOptions::build_morphing,
             "Store the morphing the benchmarks determine (left out when they are too few or degenerate).")
      .finish();
  m.def(
      "setup_from_header",
      [](const Header& header, py::object options, const py::kwargs& kwargs) {
        return setup_from_header(header, options_from<SetupFromHeaderOptions>(options, kwargs));
      },
      py::arg("header"), py::arg("options") = py::none(), R"doc(
The Setup described by the file's reweighting weights: one benchmark per weight whose text sets
param-card entries, named by the weight id, in file order; parameters detected per (block, id)
and named after the param card's comments. Raises KeyError (pysbi.NotFound) when no weight
describes a parameter point.
)doc");
  m.def(
      "map_benchmarks_to_weights",
      [](const Setup& setup, const std::vector<std::string>& weight_ids, py::object weight_for_benchmark) {
        return map_benchmarks_to_weights(setup, weight_ids,
                                         weight_for_benchmark.is_none() ? std::vector<std::pair<std::string, std::string>>{}
                                                                        : weight_map_from(weight_for_benchmark));
      },
      py::arg("setup"), py::arg("weight_ids"), py::arg("weight_for_benchmark") = py::none(),
      "For every benchmark of the set-up, the index into weight_ids of its weight (list[int]); weight_for_benchmark maps "
      "benchmark names to weight ids (dict). KeyError naming the benchmark when one has no weight.");

  // ---- kinematics ----
  py::class_<FourMomentum>(m, "FourMomentum", "A four-momentum (px, py, pz, e) in GeV.")
      .def(py::init([](double px, double py, double pz, double e) { return FourMomentum{px, py, pz, e}; }), py::arg("px") = 0.0,
           py::arg("py") = 0.0, py::arg("pz") = 0.0, py::arg("e") = 0.0, "Components in GeV.")
      .def_readwrite("px", &FourMomentum::px, "GeV")
      .def_readwrite("py", &FourMomentum::py, "GeV")
      .def_readwrite("pz", &FourMomentum::pz, "GeV")
      .def_readwrite("e", &FourMomentum::e, "GeV")
      .def("pt", &FourMomentum::pt, "Transverse momentum, GeV.")
      .def("eta", &FourMomentum::eta, "Pseudorapidity; +-1e10 along the beam.")
      .def("rapidity", &FourMomentum::rapidity, "Rapidity; +-1e10 when E = |pz|.")
      .def("phi", &FourMomentum::phi, "Azimuth in (-pi, pi].")
      .def("m", &FourMomentum::m, "Invariant mass, GeV (negative m^2 from rounding gives -sqrt(-m^2)).")
      .def("__add__", [](const FourMomentum& a, const FourMomentum& b) { return a + b; }, py::is_operator())
      .def("__repr__", &momentum_repr);
  m.def("delta_phi", &delta_phi, py::arg("phi1"), py::arg("phi2"), "phi1 - phi2 wrapped to (-pi, pi].");
  m.def("delta_r", &delta_r, py::arg("a"), py::arg("b"), "Delta R = sqrt(Delta eta^2 + Delta phi^2).");

  py::class_<PhysicsObject>(m, "PhysicsObject", "A final-state object: momentum p (FourMomentum, GeV) and PDG id.")
      .def_readonly("p", &PhysicsObject::p, "The four-momentum (FourMomentum, GeV).")
      .def_readonly("pdg_id", &PhysicsObject::pdg_id, "PDG id (int; sign = particle / antiparticle).")
      .def("__repr__", [](const PhysicsObject& o) { return fmt::format("PhysicsObject(pdg_id={}, p={})", o.pdg_id, momentum_repr(o.p)); });

  OptionsBinder<KinematicsOptions>(m, "KinematicsOptions", "Options of the event kinematics.")
      .field("invisible_pdg_ids", &KinematicsOptions::invisible_pdg_ids,
             "PDG ids (absolute) of invisible particles besides neutrinos (count towards missing momentum).")
      .finish();

  py::class_<KinematicsView, std::shared_ptr<KinematicsView>> kinematics(m, "Kinematics", R"doc(
The final-state collections of one event, each ordered by decreasing p_T: what a Python
observable or cut receives. Valid only during that call (a kept reference raises ValueError).

Collections (list[PhysicsObject], copies): leptons (e, mu), electrons, muons, taus, photons,
jets (d u s c b quarks and gluons), b_quarks, neutrinos (and KinematicsOptions.invisible_pdg_ids),
higgs (status 1 or 2), visible. missing: the neutrinos' summed FourMomentum (only its p_T is
physical). event: the Event. momenta(name) gives (px, py, pz, E) as an ndarray (n, 4) in GeV;
value(name) a built-in variable ('pt_j1', 'm_jj', ...; NaN when undefined).
)doc");
  auto collection_property = [&](const char* name, std::vector<PhysicsObject> Kinematics::*member) {
    kinematics.def_property_readonly(name, [member](const KinematicsView& k) { return k.get().*member; },
                                     "The collection (list[PhysicsObject], a copy), ordered by decreasing p_T.");
  };
  collection_property("leptons", &Kinematics::leptons);
  collection_property("electrons", &Kinematics::electrons);
  collection_property("muons", &Kinematics::muons);
  collection_property("taus", &Kinematics::taus);
  collection_property("photons", &Kinematics::photons);
  collection_property("jets", &Kinematics::jets);
  collection_property("b_quarks", &Kinematics::b_quarks);
  collection_property("neutrinos", &Kinematics::neutrinos);
  collection_property("higgs", &Kinematics::higgs);
  collection_property("visible", &Kinematics::visible);
  kinematics
      .def_static(
          "from_event",
          [](const Event& event, py::object options, const py::kwargs& kwargs) {
            const KinematicsOptions o = options_from<KinematicsOptions>(options, kwargs);
            auto view = std::make_shared<KinematicsView>();
            view->owned_event = std::make_shared<Event>(event);
            view->owned = std::make_shared<Kinematics>();
            view->owned->fill(*view->owned_event, o);
            view->kinematics = view->owned.get();
            return view;
          },
          py::arg("event"), py::arg("options") = py::none(),
          "The kinematics of an Event (owned: valid as long as the object lives), e.g. to test an observable.")
      .def_property_readonly("missing", [](const KinematicsView& k) { return k.get().missing; },
                             "Sum of neutrino and invisible momenta (FourMomentum, GeV).")
      .def_property_readonly(
          "event", [](const KinematicsView& k) { return *k.get().event; }, "The Event (a copy).")
      .def_property_readonly(
          "particles", [](const KinematicsView& k) { return k.get().event->particles; },
          "All particles of the event record (list[Particle], a copy).")
      .def(
          "momenta", [](const KinematicsView& k, const std::string& name) { return object_momenta(collection(k.get(), name)); },
          py::arg("collection"),
          "(px, py, pz, E) of a collection ('jets' or 'j', 'leptons' or 'l', ...) as ndarray (n, 4), GeV, ordered by p_T.")
      .def(
          "pdg_ids",
          [](const KinematicsView& k, const std::string& name) {
            const auto& c = collection(k.get(), name);
            IntVector out(static_cast<Index>(c.size()));
            for (std::size_t i = 0; i < c.size(); ++i) out(static_cast<Index>(i)) = c[i].pdg_id;
            return to_numpy(std::move(out));
          },
          py::arg("collection"), "PDG ids of a collection (ndarray int64 (n,)), ordered by p_T.")
      .def(
          "value", [](const KinematicsView& k, const std::string& name) { return cached_builtin(name)(k.get()); },
          py::arg("name"), "A built-in variable ('pt_j1', 'm_jj', 'met', ...); NaN when undefined, KeyError when unknown.")
      .def("__repr__", [](const KinematicsView& k) {
        if (!k.kinematics) return std::string("<Kinematics (no longer valid)>");
        const Kinematics& x = *k.kinematics;
        return fmt::format("<Kinematics: {} leptons, {} photons, {} jets ({} b), {} neutrinos, {} higgs>", x.leptons.size(),
                           x.photons.size(), x.jets.size(), x.b_quarks.size(), x.neutrinos.size(), x.higgs.size());
      });

  m.def(
      "builtin_variable",
      [](const std::string& name) {
        ObservableFunction f = builtin_variable(name);
        return py::cpp_function([f](const KinematicsView& k) { return f(k.get()); }, py::arg("kinematics"));
      },
      py::arg("name"), "The built-in variable as a callable Kinematics -> float (NaN when undefined); KeyError when unknown.");
  m.def("is_builtin_variable", &is_builtin_variable, py::arg("name"), "True when name is a built-in variable.");

  // ---- observable and cut specifications ----
  py::class_<ObservableSpec>(m, "ObservableSpec", R"doc(
An observable to compute for every event: a muparser expression over the built-in variables
('pt_j1', 'abs(eta_j1 - eta_j2)') or a Python callable f(k: Kinematics) -> float (None or NaN =
undefined). Values in the units of the variables (GeV, radians).
)doc")
      .def(py::init([](std::string name, std::string expression, py::object function, bool required, double default_value) {
             ObservableSpec s;
             s.name = std::move(name);
             s.expression = std::move(expression);
             s.function = to_function(function, fmt::format("observable '{}'", s.name));
             s.required = required;
             s.default_value = default_value;
             return s;
           }),
           py::arg("name"), py::arg("expression") = "", py::arg("function") = py::none(), py::arg("required") = true,
           py::arg("default_value") = 0.0,
           "name: stored in the file; expression: muparser text (or the stored definition when function is given); "
           "function: callable on a Kinematics; required: drop events where it is undefined (else store default_value).")
      .def_readwrite("name", &ObservableSpec::name, "Name stored in the file (str; non-empty, unique).")
      .def_readwrite("expression", &ObservableSpec::expression,
                     "muparser expression, or the stored definition when function is set (str).")
      .def_property(
          "function", [](const ObservableSpec& s) { return from_function(s.function); },
          [](ObservableSpec& s, py::object f) { s.function = to_function(f, fmt::format("observable '{}'", s.name)); },
          "Callable on a Kinematics, or None.")
      .def_readwrite("required", &ObservableSpec::required, "Drop events where it is undefined (default True).")
      .def_readwrite("default_value", &ObservableSpec::default_value, "Stored when undefined and not required.")
      .def("__repr__", [](const ObservableSpec& s) {
        return fmt::format("ObservableSpec(name={}, expression={}{}, required={})", quoted(s.name), quoted(s.expression),
                           s.function ? ", function=<callable>" : "", s.required ? "True" : "False");
      });

  py::class_<CutSpec>(m, "CutSpec", "A cut: the event passes when the expression (or callable) is non-zero / True.")
      .def(py::init([](std::string expression, py::object function, bool pass_if_undefined) {
             CutSpec c;
             c.expression = std::move(expression);
             c.function = to_function(function, "cut");
             c.pass_if_undefined = pass_if_undefined;
             return c;
           }),
           py::arg("expression") = "", py::arg("function") = py::none(), py::arg("pass_if_undefined") = false,
           "expression: muparser text ('m_jj > 500'); function: callable on a Kinematics (then expression is ignored); "
           "pass_if_undefined: whether an event where the cut is undefined passes.")
      .def_readwrite("expression", &CutSpec::expression, "muparser expression (str); non-zero = pass.")
      .def_property(
          "function", [](const CutSpec& c) { return from_function(c.function); },
          [](CutSpec& c, py::object f) { c.function = to_function(f, "cut"); }, "Callable on a Kinematics, or None.")
      .def_readwrite("pass_if_undefined", &CutSpec::pass_if_undefined, "Whether an undefined cut passes (default False).")
      .def("__repr__", [](const CutSpec& c) {
        return fmt::format("CutSpec(expression={}{}, pass_if_undefined={})", quoted(c.expression),
                           c.function ? ", function=<callable>" : "", c.pass_if_undefined ? "True" : "False");
      });

  py::class_<EfficiencySpec>(m, "EfficiencySpec", R"doc(
A per-event efficiency (MadMiner's add_efficiency): every weight of an event that passes the cuts
is multiplied by its value, e.g. 'pt_l1 > 30 ? 0.95 : 0.7' or a callable on a Kinematics. Several
efficiencies multiply. Values must be finite and >= 0 (OSError naming the event otherwise); where
the value is undefined (None, NaN, a missing object) default_value is used.
)doc")
      .def(py::init([](std::string expression, py::object function, double default_value) {
             EfficiencySpec e;
             e.expression = std::move(expression);
             e.function = to_function(function, "efficiency");
             e.default_value = default_value;
             return e;
           }),
           py::arg("expression") = "", py::arg("function") = py::none(), py::arg("default_value") = 1.0,
           "expression: muparser text; function: callable on a Kinematics (then expression is only a label); "
           "default_value: used where the efficiency is undefined.")
      .def_readwrite("expression", &EfficiencySpec::expression, "muparser expression (str).")
      .def_property(
          "function", [](const EfficiencySpec& e) { return from_function(e.function); },
          [](EfficiencySpec& e, py::object f) { e.function = to_function(f, "efficiency"); }, "Callable on a Kinematics, or None.")
      .def_readwrite("default_value", &EfficiencySpec::default_value, "Value where undefined (default 1).")
      .def("__repr__", [](const EfficiencySpec& e) {
        return fmt::format("EfficiencySpec(expression={}{}, default_value={})", quoted(e.expression),
                           e.function ? ", function=<callable>" : "", float_repr(e.default_value));
      });

  py::class_<ObservableCalculator> calculator(m, "ObservableCalculator",
                                              "Observables and cuts compiled once, evaluated per event.");
  py::enum_<ObservableCalculator::Outcome>(calculator, "Outcome", "Why an event was kept or not.")
      .value("kept", ObservableCalculator::Outcome::kept)
      .value("failed_cut", ObservableCalculator::Outcome::failed_cut)
      .value("undefined_observable", ObservableCalculator::Outcome::undefined_observable);
  calculator
      .def(py::init([](py::object observables, py::object cuts, py::object kinematics) {
             return std::make_unique<ObservableCalculator>(
                 observables_from(observables), cuts.is_none() ? std::vector<CutSpec>{} : cuts_from(cuts),
                 kinematics.is_none() ? KinematicsOptions{} : kinematics.cast<KinematicsOptions>());
           }),
           py::arg("observables"), py::arg("cuts") = py::none(), py::arg("kinematics") = py::none(),
           "observables: list of ObservableSpec / (name, expression or callable), or a dict; cuts: list of CutSpec, "
           "expressions or callables. ValueError naming a bad expression.")
      .def(
          "evaluate",
          [](ObservableCalculator& c, const Event& event) {
            Vector values = Vector::Constant(static_cast<Index>(c.n_observables()), nan);
            int failed = -1;
            const auto outcome = c.evaluate(event, values.data(), &failed);
            return py::make_tuple(outcome, to_numpy(std::move(values)), failed);
          },
          py::arg("event"),
          "(outcome, values, failed_index) for one Event: values (n_observables,) complete only when kept; failed_index "
          "the first failing cut or undefined observable, -1 when kept.")
      .def_property_readonly("n_observables", &ObservableCalculator::n_observables, "Number of observables (int).")
      .def("observables", &ObservableCalculator::observables, "The set-up's Observable entries (name, definition).");

  // ---- conversion ----
  py::class_<LheSample>(m, "LheSample", "One LHE file of a run (signal at a sampling benchmark, or background).")
      .def(py::init([](py::object path, std::string sampling_benchmark, bool is_background, std::string background_weight_id,
                       double k_factor) {
             LheSample s;
             s.path = path_string(path, "path");
             s.sampling_benchmark = std::move(sampling_benchmark);
             s.is_background = is_background;
             s.background_weight_id = std::move(background_weight_id);
             s.k_factor = k_factor;
             return s;
           }),
           py::arg("path"), py::arg("sampling_benchmark") = "", py::arg("is_background") = false,
           py::arg("background_weight_id") = "", py::arg("k_factor") = 1.0,
           "path: the file; sampling_benchmark: benchmark the events were generated at ('' = the set-up's reference); "
           "is_background: copy one weight (background_weight_id, '' = XWGTUP) to every benchmark; k_factor: multiplies "
           "every weight (> 0).")
      .def_readwrite("path", &LheSample::path, "The file (pathlib.Path).")
      .def_readwrite("sampling_benchmark", &LheSample::sampling_benchmark,
                     "Benchmark the events were generated at (str; '' = the reference).")
      .def_readwrite("is_background", &LheSample::is_background, "Background: one weight copied to every benchmark.")
      .def_readwrite("background_weight_id", &LheSample::background_weight_id, "Weight used for background ('' = XWGTUP).")
      .def_readwrite("k_factor", &LheSample::k_factor, "Multiplies every weight of the file (> 0).")
      .def("__repr__", [](const LheSample& s) {
        return fmt::format("LheSample({}, sampling_benchmark={}, is_background={}, k_factor={})", quoted(s.path.string()),
                           quoted(s.sampling_benchmark), s.is_background ? "True" : "False", float_repr(s.k_factor));
      });

  OptionsBinder<ConvertOptions>(m, "ConvertOptions", "Options of convert.")
      .property(
          "observables", [](const ConvertOptions& o) { return o.observables; },
          [](ConvertOptions& o, py::object v) { o.observables = observables_from(v); },
          "Observables (at least one): list of ObservableSpec / (name, expression or callable), or a dict "
          "name -> expression or callable.")
      .property(
          "cuts", [](const ConvertOptions& o) { return o.cuts; },
          [](ConvertOptions& o, py::object v) { o.cuts = cuts_from(v); },
          "Cuts: list of CutSpec, expressions (str) or callables.")
      .property(
          "efficiencies", [](const ConvertOptions& o) { return o.efficiencies; },
          [](ConvertOptions& o, py::object v) { o.efficiencies = efficiencies_from(v); },
          "Efficiencies multiplying the weights of kept events: list of EfficiencySpec, expressions or callables.")
      .field("kinematics", &ConvertOptions::kinematics, "KinematicsOptions.")
      .field("reader", &ConvertOptions::reader, "ReaderOptions (normalisation fallback, limits).")
      .property(
          "weight_for_benchmark", [](const ConvertOptions& o) { return o.weight_for_benchmark; },
          [](ConvertOptions& o, py::object v) { o.weight_for_benchmark = weight_map_from(v); },
          "Benchmark name -> weight id for benchmarks whose weight id differs (dict or list of pairs).")
      .field("ignore_unmapped_weights", &ConvertOptions::ignore_unmapped_weights,
             "Ignore named weights that map to no benchmark (default False: OSError).")
      .field("shuffle", &ConvertOptions::shuffle, "Shuffle the events of all files together (default False).")
      .field("seed", &ConvertOptions::seed, "Seed of the shuffle (default 1234).")
      .finish();

  py::class_<SampleReport>(m, "SampleReport", "Per-file counts of convert.")
      .def_readonly("path", &SampleReport::path, "The file (pathlib.Path).")
      .def_readonly("events_read", &SampleReport::events_read, "Events in the file.")
      .def_readonly("events_kept", &SampleReport::events_kept, "Events that passed the cuts with every required observable.")
      .def_readonly("failed_cuts", &SampleReport::failed_cuts, "Events dropped by a cut.")
      .def_readonly("undefined_observables", &SampleReport::undefined_observables,
                    "Events dropped for an undefined required observable.")
      .def_readonly("negative_weight_events", &SampleReport::negative_weight_events, "Kept events with a negative weight.")
      .def_readonly("event_norm", &SampleReport::event_norm, "The normalisation used (EventNorm).")
      .def_readonly("cross_section_pb", &SampleReport::cross_section_pb,
                    "Sum of the kept events' stored weights at the sampling benchmark, pb (the file's own estimate).")
      .def("__repr__", [](const SampleReport& r) {
        return fmt::format("SampleReport({}, events_read={}, events_kept={}, cross_section_pb={})", quoted(r.path.string()),
                           r.events_read, r.events_kept, float_repr(r.cross_section_pb));
      });

  m.def(
      "convert",
      [](const Setup& setup, py::object samples, py::object options, const py::kwargs& kwargs) {
        const ConvertOptions o = options_from<ConvertOptions>(options, kwargs);
        const std::vector<LheSample> s = samples_from(samples);
        std::vector<SampleReport> reports;
        std::optional<MadMinerFile> file;
        {
          py::gil_scoped_release release;
          file = convert(setup, s, o, &reports);
        }
        return py::make_tuple(std::move(*file), std::move(reports));
      },
      py::arg("setup"), py::arg("samples"), py::arg("options") = py::none(), R"doc(
Reads LHE samples into one MadMinerFile: (file, reports).

Args:
    setup (Setup): parameters and benchmarks (e.g. setup_from_header(read_header(path))).
    samples (list of LheSample or paths): paths are signal files at the reference benchmark.
    options (ConvertOptions) or its fields as keyword arguments: observables=..., cuts=...,
        weight_for_benchmark=..., shuffle=..., seed=...

Returns (MadMinerFile, list[SampleReport]): weights in pb per event (each sample sums to its
fiducial cross section), observables in the units of their definitions, the sample summary.
The GIL is released while reading; Python observables take it per call.
)doc");
}

}  // namespace sbi::python
