"""Shared fixtures of the pysbi tests (run by ctest with PYTHONPATH=<build>/python, SBI_SHARED_DATA
and SBI_CLI set; see CMakeLists.txt here)."""

import os
import pathlib

import pytest

HERE = pathlib.Path(__file__).resolve().parent

# Real MadMiner files, from ../shared/data beside the checkout; a user's clone has none.
REAL_FILES = {
    "old": "madminer_example_with_data_1.h5",
    "rmastand": "dihiggs_nsbi_setup_rmastand.h5",
    "umarsdq": "dihiggs_nsbi_setup_umarsdq.h5",
}


def shared_data_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("SBI_SHARED_DATA", HERE.parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def madminer_dir() -> pathlib.Path:
    directory = shared_data_dir() / "madminer"
    if not directory.is_dir():
        pytest.skip(f"real MadMiner files not available: {directory} does not exist (set SBI_SHARED_DATA)")
    return directory


@pytest.fixture(params=sorted(REAL_FILES))
def real_file(request, madminer_dir) -> pathlib.Path:
    path = madminer_dir / REAL_FILES[request.param]
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    return path


@pytest.fixture(scope="session")
def sbi_cli() -> pathlib.Path:
    path = os.environ.get("SBI_CLI", "")
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"the sbi command is not built (SBI_CLI = {path!r})")
    return pathlib.Path(path)
