// A program outside the sbi tree, built against the installed package.
#include <sbi/estimators.hpp>
#include <sbi/madminer_file.hpp>
#include <sbi/version.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  sbi::MadMinerFile file;
  file.setup.parameters = sbi::ParameterSpace({sbi::Parameter{"cHW"}, sbi::Parameter{"cHB"}});
  for (const char* name : {"sm", "one", "two"}) file.setup.benchmarks.push_back({name, sbi::Vector::Zero(2)});
  file.setup.benchmarks[1].values << 1.0, 0.0;
  file.setup.benchmarks[2].values << 0.0, 1.0;
  sbi::Events events;
  events.observations = sbi::RowMatrix::Zero(4, 0);
  events.weights = sbi::RowMatrix::Ones(4, 3);
  events.sampling_benchmarks = sbi::IntVector::Zero(4);
  file.events = events;
  sbi::write_madminer_file(argv[1], file);
  const auto back = sbi::read_madminer_file(argv[1]);
  if (!(back.setup == file.setup)) return 1;
  // sbi::estimators: a fresh SALLY network evaluated on the events' (empty) observables plus one.
  const sbi::Estimator sally(sbi::EstimatorMethod::Sally, 1, 2, sbi::NetworkOptions{{4}, sbi::Activation::Tanh});
  const sbi::RowMatrix score = sally.evaluate_score(sbi::RowMatrix::Zero(back.events->size(), 1), 1);
  if (score.rows() != 4 || score.cols() != 2 || !score.allFinite()) return 1;
  std::cout << "consumer: sbi " << sbi::version << " wrote and read back " << back.setup.parameters.size()
            << " parameters, " << back.setup.benchmarks.size() << " benchmarks, " << back.events->size()
            << " events; evaluated a sally network on them\n";
  return 0;
}
