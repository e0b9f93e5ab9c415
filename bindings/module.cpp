// pysbi: the Python module of sbi. One PYBIND11_MODULE; each bound part of the library adds itself
// from its own file through one add_<part>(m) call (Acts' layout): a new module (morphing,
// sampler, ...) adds one file and one line here.
#include "common.hpp"
#include "sbi/version.hpp"

PYBIND11_MODULE(_pysbi, m) {
  m.doc() = "sbi: simulation-based inference for particle physics (C++ core of the pysbi package)";
  m.attr("__version__") = sbi::version;

  sbi::python::add_errors(m);  // first: the translators serve every later part
  sbi::python::add_setup(m);
  sbi::python::add_events(m);
  sbi::python::add_io(m);
  sbi::python::add_morphing(m);
  sbi::python::add_lhe(m);
  sbi::python::add_samples(m);
  sbi::python::add_sampler(m);
  sbi::python::add_simulators(m);
  sbi::python::add_estimators(m);  // after samples: training takes AugmentedSamples
  sbi::python::add_limits(m);      // after estimators: an Ensemble can be the estimator of a scan
}
