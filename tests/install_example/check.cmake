# CTest driver: install the built project into a temporary prefix, build the example against
# the installed package with find_package(longtail), and run it.
# Inputs: BUILD_DIR, SOURCE_DIR, WORK_DIR.
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
if(EXISTS ${WORK_DIR}/prefix/include/xapian.h OR EXISTS ${WORK_DIR}/prefix/include/simdjson.h)
  message(FATAL_ERROR "third-party headers leaked into the installed package")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install_example -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
# The program calls every public function of <longtail/longtail.h> (main.cpp).
run(${WORK_DIR}/build/embed_example ${SOURCE_DIR}/tests/data ${WORK_DIR}/run)
file(REMOVE_RECURSE ${WORK_DIR})
