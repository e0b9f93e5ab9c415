# Runs the LHE reader's libFuzzer harness for a short, fixed time from the kept corpus (ctest
# test_lhe_fuzz). Arguments: -DFUZZER=binary -DCORPUS=tests/lhe/fuzz/corpus -DWORK=scratch dir
# -DSECONDS=n. New inputs go to WORK/new (cleared each run; the kept corpus is only read); a finding
# is written to WORK/ and fails the test with the path in the message.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/new)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -seed=1 -print_final_stats=1
          -artifact_prefix=${WORK}/ ${WORK}/new ${CORPUS}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" runs "${output}")
string(REGEX MATCHALL "cov: [0-9]+" coverage "${output}")
list(POP_BACK coverage last_coverage)
if(NOT status EQUAL 0)
  file(GLOB findings ${WORK}/crash-* ${WORK}/leak-* ${WORK}/timeout-* ${WORK}/oom-*)
  message(FATAL_ERROR "fuzz_lhe_reader found a problem (exit status ${status}); input: ${findings}\n"
                      "reproduce: ${FUZZER} <input>\n${output}")
endif()
message("fuzz_lhe_reader: ${SECONDS} s, ${runs}, ${last_coverage} edges, no finding")
