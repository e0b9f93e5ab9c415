// libFuzzer harness for the LHE reader (issue 5: "fuzz the parser"). Each input becomes a file,
// plain or gzip-compressed, that lhe::Reader reads to the end and lhe::setup_from_header turns into
// a set-up. The contract under test: malformed input raises an sbi::Error; anything else — a
// crash, a sanitizer report, another exception type, a hang or unbounded memory — is a finding.
//
// Input layout: byte 0 chooses the mode (bit 0: gzip the rest; bit 1: a small max_line_bytes and
// max_particles, to reach those limits), the remaining bytes are the file content.
//
// Built with clang's -fsanitize=fuzzer,address,undefined by tests/lhe/CMakeLists.txt and run for a
// few seconds from the corpus in tests/lhe/fuzz/corpus by ctest (test_lhe_fuzz).
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sbi/error.hpp"
#include "sbi/lhe.hpp"

namespace {

const std::filesystem::path plain_path =
    std::filesystem::temp_directory_path() / ("sbi_fuzz_lhe_" + std::to_string(::getpid()) + ".lhe");
const std::filesystem::path zipped_path =
    std::filesystem::temp_directory_path() / ("sbi_fuzz_lhe_" + std::to_string(::getpid()) + ".lhe.gz");

// libFuzzer ends a timed run with exit(): remove the scratch files then (a crash keeps them).
const bool cleanup_registered = [] {
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove(plain_path, ignored);
    std::filesystem::remove(zipped_path, ignored);
  });
  return true;
}();

const std::filesystem::path& scratch_path(bool gzip) { return gzip ? zipped_path : plain_path; }

bool write_input(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb1");
    if (!f) return false;
    const int written = size > 0 ? gzwrite(f, data, static_cast<unsigned>(size)) : 0;
    gzclose(f);
    return written == static_cast<int>(size);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const bool gzip = (mode & 1) != 0;
  const std::filesystem::path& path = scratch_path(gzip);
  if (!write_input(path, data + 1, size - 1, gzip)) return 0;

  sbi::lhe::ReaderOptions options;
  if (mode & 2) {
    options.max_line_bytes = 4096;
    options.max_particles = 8;
  }
  try {
    sbi::lhe::Reader reader(path, options);
    try {
      (void)sbi::lhe::setup_from_header(reader.header());
    } catch (const sbi::Error&) {
      // no parameter point in the header, or a malformed reweighting text: both reported as errors
    }
    sbi::lhe::Event event;
    while (reader.next(event)) {
    }
  } catch (const sbi::Error&) {
    // the expected outcome for a malformed file
  }
  return 0;
}
