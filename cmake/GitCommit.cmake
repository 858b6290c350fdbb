# Writes ${OUT} with KVB_GIT_COMMIT (the source tree's commit, "-dirty" when it has changes),
# touching the file only when the value changes. Run at every build by the kvb_git_commit
# target, so a binary reports the commit it was built from.
execute_process(
  COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12 --exclude=*
  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#define KVB_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
