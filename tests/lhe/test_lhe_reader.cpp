// The streaming LHE reader: real generator output (MadGraph, POWHEG, Sherpa, WHIZARD, LHEF3
// edits) and generated broken files.
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include "lhe_test_files.hpp"
#include "sbi/error.hpp"
#include "sbi/lhe.hpp"
#include "test_support.hpp"

using namespace sbi;

namespace {

struct FileStats {
  std::int64_t events = 0;
  std::int64_t negative_xwgtup = 0;
  double sum_xwgtup = 0;
  std::vector<double> sum_named;  // per weight id
};

FileStats read_all(const std::filesystem::path& path) {
  lhe::Reader reader(path);
  lhe::Event event;
  FileStats s;
  while (reader.next(event)) {
    ++s.events;
    s.negative_xwgtup += event.weight < 0;
    s.sum_xwgtup += event.weight;
    if (s.sum_named.empty()) s.sum_named.assign(event.named_weights.size(), 0.0);
    REQUIRE(event.named_weights.size() == reader.weight_ids().size());
    for (std::size_t k = 0; k < event.named_weights.size(); ++k) s.sum_named[k] += event.named_weights[k];
  }
  return s;
}

/// Runs `f`, expects a FormatError whose message contains every fragment.
template <typename F>
void check_format_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    FAIL("no FormatError thrown");
  } catch (const FormatError& e) {
    const std::string message = e.what();
    for (const auto& fragment : fragments) CHECK_MESSAGE(message.find(fragment) != std::string::npos, message);
  }
}

void read_through(const std::filesystem::path& path) {
  lhe::Reader reader(path);
  lhe::Event event;
  while (reader.next(event)) {
  }
}

}  // namespace

TEST_CASE("smeftsim VBF H: 10000 events with 21 reweighting weights, sigma = mean weight") {
  auto path = test::shared_file("lhe/event2vec/smeftsim_VBFH-1.lhe.gz");
  if (!path) return;
  lhe::Reader reader(*path);
  const lhe::Header& h = reader.header();
  CHECK(h.version == "3.0");
  CHECK(h.event_norm == lhe::EventNorm::average);
  CHECK(reader.event_norm() == lhe::EventNorm::average);
  CHECK(h.run_card_nevents == 10000);
  CHECK(h.generated_events == 10000);
  CHECK(h.init.beam_pdg_id[0] == 2212);
  CHECK(h.init.beam_energy_gev[1] == 6500.0);
  CHECK(h.init.weighting_strategy == -4);
  REQUIRE(h.init.processes.size() == 1);
  CHECK(h.init.processes[0].cross_section_pb == doctest::Approx(3.343019));
  REQUIRE(h.weights.size() == 21);
  CHECK(h.weights[0].id == "SM");
  CHECK(h.weights[0].text.empty());
  CHECK(h.weights[5].id == "cHW_0p1");
  CHECK(h.weights[5].text == "set param_card smeft 7 0.1 # orig: 0.0");
  CHECK(h.weights[5].group == "mg_reweighting");
  CHECK(reader.weight_ids().size() == 21);

  lhe::Event event;
  std::vector<double> sums(21, 0.0);
  std::int64_t n = 0, with_resonance = 0;
  while (reader.next(event)) {
    REQUIRE(event.named_weights.size() == 21);
    CHECK(event.named_weights[0] == event.weight);  // SM = XWGTUP
    REQUIRE((event.particles.size() == 5 || event.particles.size() == 6));
    with_resonance += event.particles.size() == 6;
    for (int k = 0; k < 21; ++k) sums[static_cast<std::size_t>(k)] += event.named_weights[static_cast<std::size_t>(k)];
    ++n;
  }
  CHECK(n == 10000);
  CHECK(with_resonance > 0);
  CHECK(reader.events_read() == 10000);
  // The data README's cross sections (mean weight, pb) for file 1, given to 7 digits.
  const std::map<std::string, double> sigma{{"SM", 3.343019},         {"cHB_0p1", 3.344680},
                                            {"cHDD_0p1", 3.339431},   {"cHW_0p1", 3.379944},
                                            {"cHW_0p2", 3.424958},    {"cHWB_0p1", 3.356174},
                                            {"cHbox_0p1", 3.383675},  {"cHW_0p1_cHbox_0p1", 3.420800}};
  for (const auto& [id, value] : sigma) {
    auto it = std::find(reader.weight_ids().begin(), reader.weight_ids().end(), id);
    REQUIRE(it != reader.weight_ids().end());
    const double mean = sums[static_cast<std::size_t>(it - reader.weight_ids().begin())] / static_cast<double>(n);
    CHECK_MESSAGE(test::close(mean, value, 2e-7), id << ": mean weight " << mean << " vs " << value);
  }
}

TEST_CASE("smeftsim VBF H files 2-5: every event has the 21 weights") {
  for (int i = 2; i <= 5; ++i) {
    auto path = test::shared_file("lhe/event2vec/smeftsim_VBFH-" + std::to_string(i) + ".lhe.gz");
    if (!path) return;
    const FileStats s = read_all(*path);
    CHECK(s.events == 10000);
    CHECK(s.sum_named.size() == 21);
    CHECK(s.negative_xwgtup == 0);
  }
}

TEST_CASE("every shared LHE file parses with the right event count") {
  const std::map<std::string, std::int64_t> expected{
      {"event2vec/dy1j.lhe.gz", 10000},
      {"madminer/background_ud_udaa_unweighted_events.lhe.gz", 10000},
      {"skhep/pylhe-testfile-madgraph5-3.5.8-pp_to_jj.lhe.gz", 1000},
      {"skhep/pylhe-testfile-madgraph-2.0.0-wbj.lhe", 59},
      {"skhep/pylhe-testlhef3.lhe", 59},
      {"skhep/pylhe-testfile-powheg-box-v2-W.lhe", 100},
      {"skhep/pylhe-testfile-powheg-box-v2-hvq.lhe", 6},
      {"skhep/pylhe-testfile-pr180.lhe", 10},
      {"skhep/pylhe-testfile-sherpa-3.0.1-eejjj.lhe", 100},
      {"skhep/pylhe-testfile-whizard-3.1.4-eeWW.lhe", 10}};
  for (const auto& [name, count] : expected) {
    auto path = test::shared_file("lhe/" + name);
    if (!path) continue;
    CAPTURE(name);
    CHECK(read_all(*path).events == count);
  }
  if (auto path = test::shared_file("lhe/event2vec/dy1j.lhe.gz")) CHECK(lhe::read_header(*path).weights.size() == 37);
  if (auto path = test::shared_file("lhe/skhep/pylhe-testfile-madgraph5-3.5.8-pp_to_jj.lhe.gz")) {
    lhe::Reader reader(*path);
    CHECK(reader.weight_ids().size() == 145);
    CHECK(reader.header().weights[0].id == "1");
    CHECK(reader.header().weights[0].group == "Central scale variation");
  }
  if (auto path = test::shared_file("lhe/skhep/pylhe-testfile-whizard-3.1.4-eeWW.lhe")) {
    lhe::Reader reader(*path);
    CHECK(reader.header().version == "2.0");
    CHECK(reader.header().init.beam_pdg_id[0] == -11);
    CHECK(reader.weight_ids().empty());
  }
}

TEST_CASE("background file without reweighting weights") {
  auto path = test::shared_file("lhe/madminer/background_ud_udaa_unweighted_events.lhe.gz");
  if (!path) return;
  lhe::Reader reader(*path);
  CHECK(reader.weight_ids().empty());
  CHECK(reader.header().event_norm == lhe::EventNorm::average);
  const FileStats s = read_all(*path);
  CHECK(s.events == 10000);
  CHECK(s.sum_named.empty());
  CHECK(s.sum_xwgtup / 10000 == doctest::Approx(0.02385).epsilon(1e-3));
}

TEST_CASE("POWHEG W: non-numeric weight id 'ct10' and a negative weight") {
  auto path = test::shared_file("lhe/skhep/pylhe-testfile-powheg-box-v2-W.lhe");
  if (!path) return;
  lhe::Reader reader(*path);
  REQUIRE(reader.weight_ids() == std::vector<std::string>{"ct10"});
  CHECK(reader.header().weights[0].text == "original ct10");
  CHECK(reader.header().weights[0].group == "PDF reweighting");
  // No run card: IDWTUP = -4 means the accord's mean-weight convention.
  CHECK(reader.header().event_norm == lhe::EventNorm::unknown);
  CHECK(reader.event_norm() == lhe::EventNorm::average);
  lhe::Event event;
  int negative = 0;
  while (reader.next(event)) {
    REQUIRE(event.named_weights.size() == 1);
    if (event.weight < 0) {
      ++negative;
      CHECK(event.index == 89);
      CHECK(event.named_weights[0] == doctest::Approx(-0.501185669e4));
    }
    REQUIRE(event.particles.size() == 6);
  }
  CHECK(negative == 1);
  CHECK(reader.events_read() == 100);
}

TEST_CASE("POWHEG hvq: LHEF3 <weights> lists carry the 45 declared weights") {
  auto path = test::shared_file("lhe/skhep/pylhe-testfile-powheg-box-v2-hvq.lhe");
  if (!path) return;
  lhe::Reader reader(*path);
  REQUIRE(reader.weight_ids().size() == 45);
  CHECK(reader.weight_ids()[0] == "MUR1.0_MUF1.0_PDF99208082");
  CHECK(reader.header().weights[1].group == "scale_variations");
  lhe::Event event;
  int negative = 0;
  REQUIRE(reader.next(event));
  CHECK(event.weight_list.size() == 45);
  CHECK(event.named_weights == event.weight_list);
  CHECK(event.weight_list[0] == 0.11148e8);
  CHECK(event.particles.size() == 7);
  negative += event.weight < 0;
  while (reader.next(event)) negative += event.weight < 0;
  CHECK(negative == 2);
}

TEST_CASE("LHEF3 as edited by pylhe: event attributes, <weights>, <initrwgt> in <init>") {
  auto path = test::shared_file("lhe/skhep/pylhe-testlhef3.lhe");
  if (!path) return;
  lhe::Reader reader(*path);
  REQUIRE(reader.weight_ids().size() == 9);  // the two identical <initrwgt> blocks count once
  CHECK(reader.weight_ids()[0] == "1001");
  CHECK(reader.header().weights[0].group == "scale_variation");
  CHECK(reader.header().weights[0].text == "muR=0.10000E+01 muF=0.10000E+01");
  CHECK(reader.header().init.processes.at(0).process_id == 66);
  lhe::Event event;
  REQUIRE(reader.next(event));
  REQUIRE(event.attributes.size() == 2);
  CHECK(event.attributes[0] == std::pair<std::string, std::string>{"npLO", "-1"});
  CHECK(event.attributes[1] == std::pair<std::string, std::string>{"npNLO", "1"});
  CHECK(event.weight_list == std::vector<double>{1.0, 0.204, 1.564});
  CHECK(event.named_weights[1] == 0.45746e2);
  CHECK(event.particles[1].pz == -0.93544317e3);  // ".93544317E+03" with a leading minus
  CHECK(event.process_id == 66);
}

TEST_CASE("particle records are read field by field") {
  auto path = test::write_text("small.lhe", test::small_lhe_text());
  lhe::Reader reader(path);
  CHECK(reader.weight_ids() == std::vector<std::string>{"SM", "cA_1", "cA_2"});
  CHECK(reader.header().event_norm == lhe::EventNorm::average);
  CHECK(reader.header().run_card_nevents == 2);
  lhe::Event event;
  REQUIRE(reader.next(event));
  CHECK(event.process_id == 1);
  CHECK(event.weight == 2.0);
  CHECK(event.scale == 100.0);
  CHECK(event.alpha_qed == 7.5e-3);
  CHECK(event.alpha_qcd == 0.13);
  REQUIRE(event.particles.size() == 5);
  const lhe::Particle& p = event.particles[4];
  CHECK(p.pdg_id == 1);
  CHECK(p.status == 1);
  CHECK(p.mother1 == 1);
  CHECK(p.mother2 == 2);
  CHECK(p.color1 == 502);
  CHECK(p.color2 == 0);
  CHECK(p.px == -70.0);
  CHECK(p.py == -20.0);
  CHECK(p.pz == -150.0);
  CHECK(p.e == 170.0);
  CHECK(p.m == 0.0);
  CHECK(p.lifetime == 0.0);
  CHECK(p.spin == 1.0);
  CHECK(event.named_weights == std::vector<double>{2.0, 3.0, 5.0});
  CHECK(event.line == 28);
  REQUIRE(reader.next(event));
  CHECK(event.index == 1);
  CHECK_FALSE(reader.next(event));
  CHECK_FALSE(reader.next(event));

  // The same content gzip-compressed reads identically.
  auto gz = test::write_gzip("small.lhe.gz", test::small_lhe_text());
  lhe::Reader zipped(gz);
  lhe::Event other;
  REQUIRE(zipped.next(other));
  CHECK(other.particles[2].px == 10.0);
  CHECK(other.named_weights == std::vector<double>{2.0, 3.0, 5.0});
}

TEST_CASE("integer columns written as decimals (\"2.000E+00\") are read as integers") {
  const std::string good = test::small_lhe_text();
  auto path = test::write_text("decimal_id.lhe", test::replace_once(good, "        2  1    1    2  501", "  2.000E+00  1    1    2  5.01E+02"));
  lhe::Reader reader(path);
  lhe::Event event;
  REQUIRE(reader.next(event));
  CHECK(event.particles[3].pdg_id == 2);
  CHECK(event.particles[3].color1 == 501);
  // A fractional value in an integer column is an error, not a truncation.
  auto fractional = test::write_text("fractional_id.lhe", test::replace_once(good, "        2  1    1    2  501", "      2.5  1    1    2  501"));
  check_format_error([&] { read_through(fractional); }, {"fractional_id.lhe", "line 33", "particle 4 of 5"});
}

TEST_CASE("options are validated, and defaults are valid") {
  CHECK_NOTHROW(lhe::ReaderOptions{}.validate());
  lhe::ReaderOptions bad;
  bad.max_line_bytes = 10;
  CHECK_THROWS_AS(bad.validate(), InvalidArgument);
  bad = {};
  bad.max_particles = 0;
  CHECK_THROWS_WITH_AS(bad.validate(), doctest::Contains("max_particles = 0"), InvalidArgument);
  CHECK(lhe::event_norm_from_string(" Average ") == lhe::EventNorm::average);
  CHECK_THROWS_AS(lhe::event_norm_from_string("mean"), InvalidArgument);
  // The option wins over IDWTUP for files without a run card, and over the header when told to.
  auto path = test::write_text("norm.lhe", test::small_lhe_text());
  lhe::ReaderOptions sum;
  sum.event_norm = lhe::EventNorm::sum;
  CHECK(lhe::Reader(path, sum).event_norm() == lhe::EventNorm::average);
  sum.override_header_event_norm = true;
  CHECK(lhe::Reader(path, sum).event_norm() == lhe::EventNorm::sum);
}

TEST_CASE("broken files: an error naming the file, the line and the event, never a crash or a hang") {
  const std::string good = test::small_lhe_text();

  SUBCASE("missing file") { CHECK_THROWS_AS(lhe::Reader(test::temp_path("absent.lhe")), FileNotFound); }
  SUBCASE("not an LHE file") {
    auto path = test::write_text("not_lhe.lhe", "hello world\n");
    check_format_error([&] { lhe::Reader r(path); }, {"not_lhe.lhe", "line 1", "not an LHE file"});
  }
  SUBCASE("binary junk") {
    std::string junk(200000, '\0');
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 7919u) % 251u);
    auto path = test::write_text("junk.lhe", junk);
    CHECK_THROWS_AS(read_through(path), FormatError);
  }
  SUBCASE("truncated gzip") {
    auto gz = test::write_gzip("full.lhe.gz", good + good.substr(good.find("<event>")));  // longer payload
    std::ifstream in(gz, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto cut = test::write_text("cut.lhe.gz", bytes.substr(0, bytes.size() * 2 / 3));
    check_format_error([&] { read_through(cut); }, {"cut.lhe.gz", "line", "truncated"});
  }
  SUBCASE("truncated real gzip file") {
    auto path = test::shared_file("lhe/skhep/pylhe-testfile-madgraph5-3.5.8-pp_to_jj.lhe.gz");
    if (!path) return;
    std::ifstream in(*path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto cut = test::write_text("pp_to_jj_cut.lhe.gz", bytes.substr(0, bytes.size() / 2));
    check_format_error([&] { read_through(cut); }, {"pp_to_jj_cut.lhe.gz", "line", "truncated"});
  }
  SUBCASE("corrupt gzip") {
    auto gz = test::write_gzip("ok.lhe.gz", good);
    std::ifstream in(gz, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::size_t i = 30; i < 60 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(~bytes[i]);
    auto bad = test::write_text("corrupt.lhe.gz", bytes);
    check_format_error([&] { read_through(bad); }, {"corrupt.lhe.gz"});
  }
  SUBCASE("plain file cut inside an event") {
    auto path = test::write_text("cut.lhe", good.substr(0, good.rfind("<wgt id='cA_1'>")));
    check_format_error([&] { read_through(path); }, {"cut.lhe", "line", "event 1", "truncated"});
  }
  SUBCASE("plain file cut between events") {
    auto path = test::write_text("cut_between.lhe", good.substr(0, good.rfind("</LesHouchesEvents>")));
    check_format_error([&] { read_through(path); }, {"cut_between.lhe", "after 2 events", "truncated"});
  }
  SUBCASE("broken XML: an event that is not closed") {
    auto path = test::write_text("unclosed.lhe", test::replace_once(good, "</rwgt>\n</event>\n", "</rwgt>\n"));
    check_format_error([&] { read_through(path); }, {"unclosed.lhe", "line", "event 0", "before </event>"});
  }
  SUBCASE("broken XML: an unterminated <wgt>") {
    auto path = test::write_text("bad_wgt.lhe", test::replace_once(good, "<wgt id='cA_1'> +3.0000000e+00 </wgt>",
                                                                   "<wgt id='cA_1'> +3.0000000e+00"));
    check_format_error([&] { read_through(path); }, {"bad_wgt.lhe", "line 37", "event 0", "cA_1"});
  }
  SUBCASE("broken XML: <initrwgt> not closed") {
    auto path = test::write_text("bad_init.lhe", test::replace_once(good, "</initrwgt>", ""));
    check_format_error([&] { lhe::Reader r(path); }, {"bad_init.lhe", "</initrwgt>"});
  }
  SUBCASE("a missing weight") {
    auto path = test::write_text("missing.lhe", test::replace_once(good, "<wgt id='cA_1'> +3.0000000e+00 </wgt>\n", ""));
    check_format_error([&] { read_through(path); }, {"missing.lhe", "line", "event 0", "missing", "cA_1"});
  }
  SUBCASE("a non-numeric weight") {
    auto path = test::write_text("nan_weight.lhe", test::replace_once(good, "+3.0000000e+00 </wgt>", "three </wgt>"));
    check_format_error([&] { read_through(path); }, {"nan_weight.lhe", "line 37", "event 0", "'cA_1' is not a number"});
  }
  SUBCASE("a weight id not declared in the header") {
    auto path = test::write_text("unknown_id.lhe", test::replace_once(good, "<wgt id='cA_1'>", "<wgt id='cB_1'>"));
    check_format_error([&] { read_through(path); }, {"unknown_id.lhe", "event 0", "'cB_1'"});
  }
  SUBCASE("a weight id twice") {
    auto path = test::write_text("twice.lhe", test::replace_once(good, "<wgt id='cA_1'>", "<wgt id='SM'>"));
    check_format_error([&] { read_through(path); }, {"twice.lhe", "event 0", "twice"});
  }
  SUBCASE("fewer particle lines than NUP") {
    auto path = test::write_text("nup.lhe", test::replace_once(good, " 5      1 +2.0", " 6      1 +2.0"));
    check_format_error([&] { read_through(path); }, {"nup.lhe", "line 35", "event 0", "NUP = 6", "only 5"});
  }
  SUBCASE("more particle lines than NUP") {
    auto path = test::write_text("nup_small.lhe", test::replace_once(good, " 5      1 +2.0", " 4      1 +2.0"));
    check_format_error([&] { read_through(path); }, {"nup_small.lhe", "event 0", "NUP = 4"});
  }
  SUBCASE("a particle line with a non-number") {
    auto path = test::write_text("bad_particle.lhe", test::replace_once(good, "+6.0e+01", "six"));
    check_format_error([&] { read_through(path); }, {"bad_particle.lhe", "line 33", "event 0", "particle 4 of 5"});
  }
  SUBCASE("an integer column beyond int's range (found by the fuzzer: undefined behaviour before)") {
    auto path = test::write_text("huge_id.lhe", test::replace_once(good, "        2  1    1    2  501", "  5.01186e+11  1    1    2  501"));
    check_format_error([&] { read_through(path); }, {"huge_id.lhe", "line 33", "event 0", "particle 4 of 5"});
    auto huge = test::write_text("huge_int.lhe", test::replace_once(good, "        2  1    1    2  501", "  99999999999  1    1    2  501"));
    check_format_error([&] { read_through(huge); }, {"huge_int.lhe", "line 33", "event 0", "particle 4 of 5"});
  }
  SUBCASE("a negative NUP") {
    auto path = test::write_text("neg_nup.lhe", test::replace_once(good, " 5      1 +2.0", " -5      1 +2.0"));
    check_format_error([&] { read_through(path); }, {"neg_nup.lhe", "NUP = -5"});
  }
  SUBCASE("an <init> block without its beam line") {
    auto path = test::write_text("bad_init_line.lhe", test::replace_once(good, "2212 2212 6.5e+03", "2212 beams"));
    check_format_error([&] { lhe::Reader r(path); }, {"bad_init_line.lhe", "IDBMUP"});
  }
  SUBCASE("text between events") {
    auto path = test::write_text("stray.lhe", test::replace_once(good, "</event>\n<event>", "</event>\nstray\n<event>"));
    check_format_error([&] { read_through(path); }, {"stray.lhe", "unexpected text", "stray"});
  }
}

TEST_CASE("one Event reused across readers of files with different weights") {
  auto small = test::write_text("reuse_small.lhe", test::small_lhe_text());
  lhe::Event event;
  {
    lhe::Reader reader(small);
    while (reader.next(event)) CHECK(event.named_weights.size() == 3);
  }
  if (auto path = test::shared_file("lhe/skhep/pylhe-testfile-madgraph5-3.5.8-pp_to_jj.lhe.gz")) {
    lhe::Reader reader(*path);
    REQUIRE(reader.next(event));
    CHECK(event.named_weights.size() == 145);
  }
  if (auto path = test::shared_file("lhe/skhep/pylhe-testfile-powheg-box-v2-W.lhe")) {
    lhe::Reader reader(*path);  // ids from the header; then a file without any
    while (reader.next(event)) REQUIRE(event.named_weights.size() == 1);
  }
  if (auto path = test::shared_file("lhe/skhep/pylhe-testfile-sherpa-3.0.1-eejjj.lhe")) {
    lhe::Reader reader(*path);
    while (reader.next(event)) REQUIRE(event.named_weights.empty());
  }
  lhe::Reader again(small);
  REQUIRE(again.next(event));
  CHECK(event.named_weights == std::vector<double>{2.0, 3.0, 5.0});
}

TEST_CASE("random corruptions of a small file: an sbi::Error or a clean read, never a crash or a hang") {
  // A fixed-seed sweep over byte flips, deletions and truncations of the generated file, plain and
  // gzip, that runs with every build; the coverage-guided fuzzer is test_lhe_fuzz (fuzz/).
  const std::string good = test::small_lhe_text();
  std::mt19937_64 rng(20240605);
  int errors = 0, clean = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bad = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !bad.empty(); ++e) {
      const std::size_t at = rng() % bad.size();
      switch (rng() % 4) {
        case 0: bad[at] = static_cast<char>(rng() % 256); break;
        case 1: bad.erase(at, 1 + rng() % 20); break;
        case 2: bad.insert(at, 1, "<>/'\"=\n 0-+.eE#"[rng() % 15]); break;
        default: bad.resize(at); break;
      }
    }
    const bool zipped = trial % 2 == 1;
    auto path = zipped ? test::write_gzip("mutant.lhe.gz", bad) : test::write_text("mutant.lhe", bad);
    try {
      read_through(path);
      ++clean;
    } catch (const Error&) {
      ++errors;
    }
  }
  CHECK(errors + clean == 400);
  CHECK(errors > 100);
}
