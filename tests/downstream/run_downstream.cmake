# Runs the downstream check (see CMakeLists.txt beside this file); fails on any step's error.
function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE error)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "downstream step failed (${result}): ${ARGN}\n${output}\n${error}")
  endif()
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${SBI_PREFIX} ${CONSUMER_BUILD})
run_step(${CMAKE_COMMAND} --install ${SBI_BUILD_DIR} --prefix ${SBI_PREFIX})
run_step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${CONSUMER_BUILD} -DCMAKE_PREFIX_PATH=${SBI_PREFIX}
         -DCMAKE_BUILD_TYPE=Release)
run_step(${CMAKE_COMMAND} --build ${CONSUMER_BUILD})
run_step(${CONSUMER_BUILD}/consumer ${CONSUMER_OUTPUT})
message("${step_output}")
