#pragma once
// Small generated LHE files for the LHE tests: a valid one, and ways to break it.
#include <zlib.h>

#include <fstream>
#include <string>

#include "test_support.hpp"

namespace sbi::test {

/// A valid LHE 3.0 file: a MadGraph-like header (run card with event_norm = average, param card,
/// two reweighting points), two events of 5 particles with three named weights each.
inline std::string small_lhe_text() {
  std::string event =
      "<event>\n"
      " 5      1 +2.0000000e+00 1.0e+02 7.5e-03 1.3e-01\n"
      "        2 -1    0    0  502    0 +0.0e+00 +0.0e+00 +3.0e+02 3.0e+02 0.0e+00 0.0e+00 -1.0e+00\n"
      "        1 -1    0    0  501    0 -0.0e+00 -0.0e+00 -4.0e+02 4.0e+02 0.0e+00 0.0e+00 -1.0e+00\n"
      "       25  1    1    2    0    0 +1.0e+01 +2.0e+01 -5.0e+01 1.4e+02 1.25e+02 0.0e+00 0.0e+00\n"
      "        2  1    1    2  501    0 +6.0e+01 +0.0e+00 +2.0e+02 2.1e+02 0.0e+00 0.0e+00 -1.0e+00\n"
      "        1  1    1    2  502    0 -7.0e+01 -2.0e+01 -1.5e+02 1.7e+02 0.0e+00 0.0e+00 1.0e+00\n"
      "<rwgt>\n"
      "<wgt id='SM'> +2.0000000e+00 </wgt>\n"
      "<wgt id='cA_1'> +3.0000000e+00 </wgt>\n"
      "<wgt id=\"cA_2\"> +5.0000000e+00 </wgt>\n"
      "</rwgt>\n"
      "</event>\n";
  return "<LesHouchesEvents version=\"3.0\">\n<header>\n<!-- a comment with <init> inside -->\n"
         "<MGRunCard>\n<![CDATA[\n  2 = nevents ! events\n  average = event_norm ! norm\n]]>\n</MGRunCard>\n"
         "<slha>\nBLOCK NEWCOUP # \n      3 0.000000e+00 # ca\n</slha>\n"
         "<initrwgt>\n<weightgroup name='mg_reweighting'>\n<weight id='SM'></weight>\n"
         "<weight id='cA_1'>set param_card newcoup 3 1.0 # orig: 0.0\n</weight>\n"
         "<weight id='cA_2'>set param_card NEWCOUP 3 2.0 # orig: 0.0\n</weight>\n</weightgroup>\n</initrwgt>\n"
         "</header>\n<init>\n2212 2212 6.5e+03 6.5e+03 0 0 247000 247000 -4 1\n2.0e+00 1.0e-02 2.0e+00 1\n</init>\n" +
         event + event + "</LesHouchesEvents>\n";
}

inline std::filesystem::path write_text(const std::string& name, const std::string& content) {
  auto path = temp_path(name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

/// Writes `content` gzip-compressed.
inline std::filesystem::path write_gzip(const std::string& name, const std::string& content) {
  auto path = temp_path(name);
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, content.data(), static_cast<unsigned>(content.size())) == static_cast<int>(content.size()));
  gzclose(f);
  return path;
}

inline std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace sbi::test
