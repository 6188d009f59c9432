# H1 kernel tests (included from tests/CMakeLists.txt when the hamming kernel is built).
add_executable(test_hamming test_hamming.cpp)
target_link_libraries(test_hamming PRIVATE binllm_hamming_core)
target_compile_options(test_hamming PRIVATE ${BINLLM_CXX_OPTS})
add_test(NAME hamming.unit COMMAND test_hamming)
set_tests_properties(hamming.unit PROPERTIES TIMEOUT 120)

# The same tests against the portable popcount path (no AVX-512 VPOPCNTDQ), when the native
# build would otherwise use it.
check_cxx_compiler_flag(-mno-avx512vpopcntdq BINLLM_HAS_NO_VPOPCNT)
if(BINLLM_ARCH_FLAG AND BINLLM_HAS_NO_VPOPCNT)
  add_executable(test_hamming_portable test_hamming.cpp
    ${PROJECT_SOURCE_DIR}/hamming/search.cpp
    ${PROJECT_SOURCE_DIR}/hamming/binarize.cpp
    ${PROJECT_SOURCE_DIR}/hamming/data.cpp)
  target_link_libraries(test_hamming_portable PRIVATE binllm_common)
  target_include_directories(test_hamming_portable PRIVATE ${PROJECT_SOURCE_DIR}/hamming)
  target_compile_options(test_hamming_portable PRIVATE ${BINLLM_CXX_OPTS} -mno-avx512vpopcntdq)
  add_test(NAME hamming.unit_portable COMMAND test_hamming_portable hamming_)
  set_tests_properties(hamming.unit_portable PROPERTIES TIMEOUT 120)
endif()

add_test(NAME hamming.blackbox
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hamming_blackbox.sh
                 $<TARGET_FILE:binllm-hamming> $<TARGET_FILE:test_hamming>)
set_tests_properties(hamming.blackbox PROPERTIES TIMEOUT 120)

# nvcc compiles every .cu (skipped with a message when nvcc is absent).
add_test(NAME cuda.compile_check COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/check-cuda.sh)
set_tests_properties(cuda.compile_check PROPERTIES TIMEOUT 600 LABELS cuda)
if(BINLLM_WITH_CUDA)
  set_property(TEST cuda.compile_check PROPERTY ENVIRONMENT "NVCC=${CMAKE_CUDA_COMPILER}")
endif()
