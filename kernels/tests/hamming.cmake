# H1 kernel tests (included from tests/CMakeLists.txt when the hamming kernel is built).
add_executable(test_hamming test_hamming.cpp)
target_link_libraries(test_hamming PRIVATE binllm_hamming_core)
target_compile_options(test_hamming PRIVATE ${BINLLM_CXX_OPTS})
add_test(NAME hamming.unit COMMAND test_hamming)
set_tests_properties(hamming.unit PROPERTIES TIMEOUT 120)

# Every SIMD path the CPU has (portable, avx2, avx512) is compared in-process by test_hamming
# (paths are chosen at run time), so no separate portable build is needed.

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
