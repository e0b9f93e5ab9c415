# Findmuparser: the muparser expression library as the imported target muparser::muparser.
# Debian's libmuparser-dev ships a CMake package config; use it when present, else look for the
# header and library directly (pkg-config's muparser.pc names no more than -lmuparser).
if(TARGET muparser::muparser)
  set(muparser_FOUND TRUE)
  return()
endif()
find_package(muparser CONFIG QUIET)
if(TARGET muparser::muparser)
  set(muparser_FOUND TRUE)
  return()
endif()
find_path(muparser_INCLUDE_DIR muParser.h PATH_SUFFIXES muparser)
find_library(muparser_LIBRARY NAMES muparser)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(muparser REQUIRED_VARS muparser_LIBRARY muparser_INCLUDE_DIR)
if(muparser_FOUND AND NOT TARGET muparser::muparser)
  add_library(muparser::muparser UNKNOWN IMPORTED)
  set_target_properties(muparser::muparser PROPERTIES
    IMPORTED_LOCATION "${muparser_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${muparser_INCLUDE_DIR}")
endif()
mark_as_advanced(muparser_INCLUDE_DIR muparser_LIBRARY)
