# Runs COMMAND (a ;-list) and checks its exit status and output:
#   -DCOMMAND=... -DEXPECT_SUCCESS=ON|OFF -DEXPECT_REGEX=<regex that stdout+stderr must match>
#   [-DREJECT_REGEX=<regex it must not match>]
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE error)
set(all "${output}${error}")
if(EXPECT_SUCCESS AND NOT result EQUAL 0)
  message(FATAL_ERROR "expected success, got exit status ${result}:\n${all}")
endif()
if(NOT EXPECT_SUCCESS AND result EQUAL 0)
  message(FATAL_ERROR "expected failure, got exit status 0:\n${all}")
endif()
if(NOT all MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match '${EXPECT_REGEX}':\n${all}")
endif()
if(DEFINED REJECT_REGEX AND all MATCHES "${REJECT_REGEX}")
  message(FATAL_ERROR "output matches the forbidden '${REJECT_REGEX}':\n${all}")
endif()
message("ok (exit status ${result})")
