#include "sbi/atomic_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <system_error>

#include "sbi/error.hpp"

namespace sbi {

namespace {
std::atomic<unsigned> temporary_counter{0};
}

AtomicOutput::AtomicOutput(std::filesystem::path target) : target_(std::move(target)) {
  if (target_.filename().empty())
    throw FileError(fmt::format("cannot write to '{}': the path names a directory, not a file", target_.string()));
  auto directory = target_.parent_path();
  if (directory.empty()) directory = ".";
  if (!std::filesystem::is_directory(directory))
    throw FileError(fmt::format("cannot write '{}': directory '{}' does not exist", target_.string(), directory.string()));
  temporary_ = directory / fmt::format(".{}.tmp-{}-{}", target_.filename().string(), static_cast<long>(::getpid()),
                                       temporary_counter.fetch_add(1));
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicOutput::commit() {
  std::error_code error;
  std::filesystem::rename(temporary_, target_, error);
  if (error)
    throw FileError(fmt::format("cannot move the finished file '{}' onto '{}': {}", temporary_.string(),
                                target_.string(), error.message()));
  committed_ = true;
}

void write_text_file_atomically(const std::filesystem::path& path, const std::string& content) {
  AtomicOutput output(path);
  {
    std::ofstream stream(output.temporary_path(), std::ios::binary);
    stream << content;
    stream.flush();
    if (!stream) throw FileError(fmt::format("cannot write '{}'", output.temporary_path().string()));
  }
  output.commit();
}

}  // namespace sbi
